import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, send } from "./sim-http";
import type { SimState } from "./sim-state";

const BOOT_DEVICES = ["pxe", "disk", "none"];
const JSON_TYPE = { "Content-Type": "application/json" };

/**
 * The OBM daemon HIL redirects power calls to: `/node/<n>/<op>?token=...`. The token is the one HIL issued when
 * OBM was enabled; power_cycle needs a `{"force": bool}` body (an empty body is refused, as obmd does).
 */
export function obmdHandler(state: SimState) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://obmd");
    const m = /^\/node\/([^/]+)\/([a-z_]+)$/.exec(url.pathname);
    const text = await readBody(req);
    const node = m?.[1] === undefined ? undefined : state.nodes.get(decodeURIComponent(m[1]));
    if (!m || !node) return send(res, 404, JSON.stringify({ msg: "no such node" }), JSON_TYPE);
    if (!node.obmEnabled || url.searchParams.get("token") !== node.obmToken) {
      return send(res, 401, JSON.stringify({ msg: "invalid token" }), JSON_TYPE);
    }
    let body: Record<string, unknown> = {};
    try {
      if (text !== "") body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return send(res, 400, JSON.stringify({ msg: "malformed JSON body" }), JSON_TYPE);
    }
    const op = `${req.method ?? ""} ${m[2] ?? ""}`;
    switch (op) {
      case "POST power_cycle":
        if (typeof body["force"] !== "boolean") return send(res, 400, JSON.stringify({ msg: "force: bool required" }), JSON_TYPE);
        node.power = "on";
        return send(res, 200, "", {});
      case "POST power_on":
        node.power = "on";
        return send(res, 200, "", {});
      case "POST power_off":
        node.power = "off";
        return send(res, 200, "", {});
      case "GET power_status":
        return send(res, 200, JSON.stringify({ power_status: node.power === "on" ? "On" : "Off" }), JSON_TYPE);
      case "PUT boot_device":
        if (typeof body["bootdev"] !== "string" || !BOOT_DEVICES.includes(body["bootdev"])) {
          return send(res, 400, JSON.stringify({ msg: `bootdev must be one of ${BOOT_DEVICES.join(", ")}` }), JSON_TYPE);
        }
        node.bootdev = body["bootdev"];
        return send(res, 200, "", {});
      default:
        return send(res, 405, JSON.stringify({ msg: `${op} not supported` }), JSON_TYPE);
    }
  };
}
