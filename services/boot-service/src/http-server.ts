import http from "node:http";
import type { Logger } from "@bmi/log";
import type { BootConfigs } from "./boot-configs";
import type { BootPhaseReport, BootPhaseSink } from "./boot-phases";
import { genericScript, nodeScript } from "./ipxe-script";
import { plainAddress } from "@bmi/validate";
import type { ScriptBinder } from "./script-binding";
import { AddressLimiter } from "./address-limiter";
import { nocloudFile, type NocloudFile } from "./nocloud";

export interface HttpOptions {
  /** Used when a request has no usable Host header. */
  publicUrl: string;
  attempts: number;
  retryDelaySeconds: number;
  /** Events one requesting address may cause per second, and in a burst (default 5 and 20). */
  eventsPerSecond?: number;
  eventBurst?: number;
}

const MAC = "([0-9a-f]{2}(?:-[0-9a-f]{2}){5})";
const NODE_SCRIPT = new RegExp(`^/nodes/${MAC}\\.ipxe$`);
const PHASE = new RegExp(`^/nodes/${MAC}/phase/(attempted|failed|userspace)$`);
const NOCLOUD = new RegExp(`^/nodes/${MAC}/nocloud/(meta-data|user-data|vendor-data|network-config)$`);
const PHASES = { attempted: "boot-attempted", failed: "boot-failed", userspace: "userspace" } as const;

/**
 * The HTTP side nodes talk to while booting: the generic script, each NIC's own script (404 for MACs without a
 * boot config, and for every address but the one the script is bound to: `binder`), the phase callbacks those
 * scripts make, the node's NoCloud metadata (nocloud.ts) and the "userspace reached" callback its OS makes.
 * Scripts carry absolute URLs built from the Host the node used, so they work behind NAT and port
 * forwards alike.
 */
export class BootHttpServer {
  private readonly server: http.Server;
  private readonly limiter: AddressLimiter;

  constructor(
    private readonly configs: BootConfigs,
    private readonly binder: ScriptBinder,
    private readonly sink: BootPhaseSink,
    private readonly o: HttpOptions,
    private readonly log: Logger,
  ) {
    this.limiter = new AddressLimiter(o.eventsPerSecond ?? 5, o.eventBurst ?? 20);
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.log.error({ err: String(err), url: req.url }, "http request failed");
        if (!res.headersSent) send(res, 500, "internal error\n");
      });
    });
  }

  /** Binds host:port; answers the bound port. */
  async listen(address: string): Promise<number> {
    const i = address.lastIndexOf(":");
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(Number(address.slice(i + 1)), address.slice(0, i).replace(/^\[|\]$/g, ""), () => resolve());
    });
    const a = this.server.address();
    return typeof a === "object" && a ? a.port : 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method !== "GET") return send(res, 405, "method not allowed\n");
    if (url.pathname === "/healthz") return send(res, 200, "ok\n");
    if (url.pathname === "/boot.ipxe") return send(res, 200, genericScript(baseUrl(req, this.o.publicUrl)));
    const script = NODE_SCRIPT.exec(url.pathname);
    const phase = PHASE.exec(url.pathname);
    const nocloud = NOCLOUD.exec(url.pathname);
    const mac = (script?.[1] ?? phase?.[1] ?? nocloud?.[1])?.replace(/-/g, ":");
    const config = mac ? await this.configs.byMac(mac) : undefined;
    if (!mac || !config) return send(res, 404, NO_CONFIG);
    const remote = plainAddress(req.socket.remoteAddress ?? "");
    const report = (p: BootPhaseReport["phase"], attempt: number) => {
      // Unauthenticated: an address past its rate is answered as usual but causes no event.
      if (!this.limiter.take(remote)) {
        this.log.debug({ node: config.node, mac, remote, phase: p }, "boot event dropped: the address is over its rate");
        return;
      }
      // The node's boot never waits on the event bus; the bus keeps events in its outbox while NATS is down.
      void this.sink.publish({ node: config.node, project: config.project, mac, phase: p, remoteAddress: remote, attempt })
        .catch((err: unknown) => this.log.error({ err: String(err), node: config.node }, "boot phase not published"));
    };
    if (script) {
      // Refused exactly like an unknown MAC: the requester learns nothing, operators get the event.
      if (!(await this.binder.admit(config, remote))) {
        this.log.warn({ node: config.node, mac, remote }, "boot script refused: bound to another address, or its arming expired");
        send(res, 404, NO_CONFIG);
        return report("script-refused", 0);
      }
      send(res, 200, nodeScript(config, mac, { baseUrl: baseUrl(req, this.o.publicUrl), attempts: this.o.attempts, retryDelaySeconds: this.o.retryDelaySeconds }));
      this.log.info({ node: config.node, mac, remote }, "boot script served");
      return report("script-served", 0);
    }
    // The phase callbacks and the node's metadata (which may carry its tenant's secrets) go only where the script
    // is bound, and are refused exactly like an unknown MAC.
    if (!this.binder.allows(config, remote)) return send(res, 404, NO_CONFIG);
    if (nocloud) {
      this.log.info({ node: config.node, mac, file: nocloud[2] }, "metadata served");
      return send(res, 200, nocloudFile(config, mac, nocloud[2] as NocloudFile));
    }
    const attempt = Math.max(0, Math.min(1000, Number.parseInt(url.searchParams.get("attempt") ?? "0", 10) || 0));
    send(res, 200, "ok\n");
    this.log.info({ node: config.node, mac, phase: phase?.[2], attempt }, "boot phase");
    report(PHASES[(phase?.[2] ?? "failed") as keyof typeof PHASES], attempt);
  }
}

const NO_CONFIG = "no boot config for this MAC\n";

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(body);
}

/** http://<Host header>, when it is a plain host[:port]; the configured public URL otherwise. */
function baseUrl(req: http.IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(host) ? `http://${host}` : fallback.replace(/\/+$/, "");
}
