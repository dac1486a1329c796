import { requireAdmin, requireProject } from "./sim-auth";
import { field, ok, optionalField, param, type Route } from "./sim-route";
import { faults } from "./sim-state";

/** NIC network changes (asynchronous, 202 + status id), their status, networks and projects. */
export const networkRoutes: Route[] = [
  {
    method: "POST", path: "/v0/node/<node>/nic/<nic>/connect_network",
    handle(req, { state, actions }) {
      const node = state.node(param(req, "node"));
      const nic = state.nic(node, param(req, "nic"));
      const net = state.network(field(req, "network"));
      const channel = optionalField(req, "channel") ?? "vlan/native";
      if (node.project === null) throw faults.projectMismatch("Node not in project");
      requireProject(req.principal, node.project);
      if (nic.port === null) throw faults.notFound("No port is connected to given nic.");
      if (nic.pending !== null) throw faults.blocked("A networking operation is already active on the nic.");
      if (net.access.size > 0 && !net.access.has(node.project)) {
        throw faults.projectMismatch("Project does not have access to given network.");
      }
      if ([...nic.networks.values()].includes(net.name)) throw faults.blocked("The network is already attached to the nic.");
      if (nic.networks.has(channel)) throw faults.blocked("The channel is already in use on the nic.");
      if (channel !== "vlan/native" && channel !== `vlan/${net.netId}`) {
        throw faults.badArgument(`Channel '${channel}', is not legal for this network.`);
      }
      return { status: 202, json: { status_id: actions.start(node, nic, net.name, channel) } };
    },
  },
  {
    method: "POST", path: "/v0/node/<node>/nic/<nic>/detach_network",
    handle(req, { state, actions }) {
      const node = state.node(param(req, "node"));
      const net = state.network(field(req, "network"));
      const nic = state.nic(node, param(req, "nic"));
      if (node.project === null) throw faults.projectMismatch("Node not in project");
      requireProject(req.principal, node.project);
      if (nic.pending !== null) throw faults.blocked("A networking operation is already active on the nic.");
      const channel = [...nic.networks].find(([, n]) => n === net.name)?.[0];
      if (channel === undefined) throw faults.badArgument("The network is not attached to the nic.");
      return { status: 202, json: { status_id: actions.start(node, nic, null, channel) } };
    },
  },
  {
    method: "GET", path: "/v0/networking_action/<id>",
    handle(req, { state }) {
      const action = state.actions.get(param(req, "id"));
      if (!action) throw faults.notFound("No pending or completed networking action with that id.");
      requireProject(req.principal, state.nodes.get(action.node)?.project ?? null);
      return { status: 200, json: action };
    },
  },
  {
    method: "PUT", path: "/v0/network/<network>",
    handle(req, { state }) {
      const name = param(req, "network");
      const owner = field(req, "owner");
      const access = field(req, "access");
      const netId = field(req, "net_id");
      if (owner === "admin" || netId !== "") requireAdmin(req.principal);
      else requireProject(req.principal, state.project(owner));
      if (state.networks.has(name)) throw faults.duplicate(`Network "${name}" already exists.`);
      state.addNetwork(name, {
        owner: owner === "admin" ? null : owner,
        access: access === "" ? [] : [state.project(access)],
        ...(netId === "" ? {} : { netId }),
      });
      return ok;
    },
  },
  {
    method: "GET", path: "/v0/network/<network>",
    handle(req, { state }) {
      const net = state.network(param(req, "network"));
      const p = req.principal;
      if (!p.admin && net.access.size > 0 && ![...net.access].some((a) => p.projects.has(a))) {
        throw faults.authorization("You do not have access to this network.");
      }
      const connected: Record<string, string[]> = {};
      for (const node of state.nodes.values()) {
        for (const nic of node.nics.values()) {
          if ([...nic.networks.values()].includes(net.name)) (connected[node.name] ??= []).push(nic.label);
        }
      }
      return {
        status: 200,
        json: {
          name: net.name, owner: net.owner ?? "admin", access: [...net.access],
          channels: ["vlan/native", `vlan/${net.netId}`], "connected-nodes": connected,
        },
      };
    },
  },
  {
    method: "PUT", path: "/v0/project/<project>",
    handle(req, { state }) {
      requireAdmin(req.principal);
      const name = param(req, "project");
      if (state.projects.has(name)) throw faults.duplicate(`Project "${name}" already exists.`);
      state.addProject(name);
      return ok;
    },
  },
  {
    method: "GET", path: "/v0/projects",
    handle(req, { state }) {
      requireAdmin(req.principal);
      return { status: 200, json: [...state.projects].sort() };
    },
  },
];
