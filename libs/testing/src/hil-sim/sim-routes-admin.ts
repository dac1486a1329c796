import { requireAdmin } from "./sim-auth";
import { field, ok, param, type Route, type SimRequest } from "./sim-route";
import { faults, type SimNode, type SimState } from "./sim-state";

/** An admin's change to an existing node: HIL checks the caller, then finds the node, then applies the change. */
function onNode(method: string, path: string, change: (req: SimRequest, node: SimNode, state: SimState) => void): Route {
  return {
    method, path,
    handle(req, { state }) {
      requireAdmin(req.principal);
      change(req, state.node(param(req, "node")), state);
      return ok;
    },
  };
}

/** Admin-only registration of nodes, their NICs and metadata. */
export const adminRoutes: Route[] = [
  {
    method: "PUT", path: "/v0/node/<node>",
    handle(req, { state }) {
      requireAdmin(req.principal);
      const name = param(req, "node");
      const obmd = req.body["obmd"] as { uri?: unknown; admin_token?: unknown } | undefined;
      if (typeof obmd?.uri !== "string" || typeof obmd.admin_token !== "string") {
        throw faults.validation("Missing or invalid key: 'obmd' ({uri, admin_token})");
      }
      const metadata = req.body["metadata"] ?? {};
      if (typeof metadata !== "object" || metadata === null) throw faults.validation("'metadata' must be an object");
      if (state.nodes.has(name)) throw faults.duplicate(`Node "${name}" already exists.`);
      const node = state.newNode(name, { uri: obmd.uri, adminToken: obmd.admin_token });
      for (const [k, v] of Object.entries(metadata)) node.metadata.set(k, JSON.stringify(v));
      state.nodes.set(name, node);
      return ok;
    },
  },
  onNode("DELETE", "/v0/node/<node>", (_req, node, state) => {
    if (node.project !== null) {
      throw faults.blocked(`Node '${node.name}' is part of project '${node.project}'; remove from project before deleting`);
    }
    if (node.nics.size > 0) throw faults.blocked(`Node '${node.name}' has nics; remove them before deleting it.`);
    state.nodes.delete(node.name);
  }),
  onNode("PUT", "/v0/node/<node>/nic/<nic>", (req, node, state) => {
    const label = param(req, "nic");
    const mac = field(req, "macaddr");
    if (node.nics.has(label)) throw faults.duplicate(`Nic "${label}" already exists on node "${node.name}".`);
    node.nics.set(label, state.newNic(label, mac, null));
  }),
  onNode("DELETE", "/v0/node/<node>/nic/<nic>", (req, node, state) => {
    const nic = state.nic(node, param(req, "nic"));
    if (nic.networks.size > 0 || nic.pending !== null) throw faults.blocked("Nic is attached to a network");
    node.nics.delete(nic.label);
  }),
  onNode("PUT", "/v0/node/<node>/metadata/<label>", (req, node) => {
    if (!("value" in req.body)) throw faults.validation("Missing key: 'value'");
    node.metadata.set(param(req, "label"), JSON.stringify(req.body["value"]));
  }),
  onNode("DELETE", "/v0/node/<node>/metadata/<label>", (req, node) => {
    const label = param(req, "label");
    if (!node.metadata.delete(label)) throw faults.notFound(`Metadata "${label}" does not exist.`);
  }),
];
