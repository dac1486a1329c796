import { randomUUID } from "node:crypto";
import { requireAdmin, requireProject } from "./sim-auth";
import { boolField, ok, param, field, type Route, type SimAnswer, type SimRequest } from "./sim-route";
import { faults, type SimNode, type SimState } from "./sim-state";

/** Node listing, showing, allocation to projects, OBM and the power calls HIL redirects to the OBM daemon. */
export const nodeRoutes: Route[] = [
  {
    method: "GET", path: "/v0/nodes/<which>",
    handle(req, { state }) {
      const which = param(req, "which");
      if (which !== "free" && which !== "all") throw faults.notFound(`no such listing "${which}"`);
      if (which === "all") requireAdmin(req.principal);
      const names = [...state.nodes.values()].filter((n) => which === "all" || n.project === null).map((n) => n.name);
      return { status: 200, json: names.sort() };
    },
  },
  {
    method: "GET", path: "/v0/project/<project>/nodes",
    handle(req, { state }) {
      const project = state.project(param(req, "project"));
      requireProject(req.principal, project);
      const names = [...state.nodes.values()].filter((n) => n.project === project).map((n) => n.name);
      return { status: 200, json: names.sort() };
    },
  },
  {
    method: "GET", path: "/v0/node/<node>",
    handle(req, { state }) {
      const node = state.node(param(req, "node"));
      if (node.project !== null) requireProject(req.principal, node.project);
      return { status: 200, json: showNode(node, req.principal.admin) };
    },
  },
  {
    method: "POST", path: "/v0/project/<project>/connect_node",
    handle(req, { state }) {
      const project = state.project(param(req, "project"));
      requireProject(req.principal, project);
      const node = state.node(field(req, "node"));
      if (node.project !== null) throw faults.blocked("Node is already owned by a project.");
      node.project = project;
      return ok;
    },
  },
  {
    method: "POST", path: "/v0/project/<project>/detach_node",
    handle(req, { state }) {
      const project = state.project(param(req, "project"));
      requireProject(req.principal, project);
      const node = state.node(field(req, "node"));
      if (node.project !== project) throw faults.notFound("Node not in project");
      const nics = [...node.nics.values()];
      if (nics.some((n) => n.networks.size > 0)) throw faults.blocked("Node attached to a network");
      if (nics.some((n) => n.pending !== null)) throw faults.blocked("Node has pending network actions");
      if (node.obmEnabled) throw faults.blocked("Node's OBM is enabled; disable it before detaching the node");
      node.project = null;
      return ok;
    },
  },
  {
    method: "PUT", path: "/v0/node/<node>/obm",
    handle(req, { state }) {
      const node = state.node(param(req, "node"));
      requireProject(req.principal, node.project);
      node.obmEnabled = boolField(req, "enabled");
      node.obmToken = node.obmEnabled ? randomUUID() : null;
      return ok;
    },
  },
  powerRoute("POST", "power_cycle"),
  powerRoute("POST", "power_on"),
  powerRoute("POST", "power_off"),
  powerRoute("GET", "power_status"),
  powerRoute("PUT", "boot_device"),
];

/**
 * Since obmd, HIL only checks access and redirects (307) to the node's OBM daemon with a fresh token; with OBM
 * disabled it answers 409 BlockedError "OBM is not enabled" (hil/api.py _obmd_redirect).
 */
function powerRoute(method: string, op: string): Route {
  return {
    method, path: `/v0/node/<node>/${op}`,
    handle(req: SimRequest, { state }: { state: SimState }): SimAnswer {
      const node = state.node(param(req, "node"));
      requireProject(req.principal, node.project);
      if (!node.obmEnabled || node.obmToken === null) throw faults.blocked("OBM is not enabled");
      return { status: 307, location: `${node.obmd.uri}/${op}?token=${node.obmToken}` };
    },
  };
}

function showNode(node: SimNode, admin: boolean) {
  return {
    name: node.name,
    project: node.project,
    nics: [...node.nics.values()].map((nic) => ({
      label: nic.label,
      macaddr: nic.macaddr,
      networks: Object.fromEntries(nic.networks),
      ...(admin && nic.port !== null ? { port: nic.port, switch: "sim-switch" } : {}),
    })),
    metadata: Object.fromEntries(node.metadata),
  };
}
