import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { obmdHandler } from "./obmd";
import { authenticate } from "./sim-auth";
import { SimActions } from "./sim-actions";
import { closeHard, listen, readBody, send, trackSockets } from "./sim-http";
import { matchRoute, type Route, type SimAnswer } from "./sim-route";
import { adminRoutes } from "./sim-routes-admin";
import { networkRoutes } from "./sim-routes-networks";
import { nodeRoutes } from "./sim-routes-nodes";
import { HilFault, faults, SimState } from "./sim-state";

const ROUTES: Route[] = [...nodeRoutes, ...networkRoutes, ...adminRoutes];
// HIL answers everything, JSON included, as text/html.
const HIL_TYPE = { "Content-Type": "text/html; charset=utf-8" };

export interface HilSimOptions {
  /** How long a networking action stays PENDING (HIL's queue worker runs every few seconds). Default 200 ms. */
  pendingMs?: number;
}

/** One request as HIL received it, for tests that check what the gateway sent. */
export interface HilRequestRecord { method: string; path: string; authorization?: string; token?: string; body: string }

export interface HilSim {
  url: string;
  obmdUrl: string;
  state: SimState;
  requests: HilRequestRecord[];
  /** HIL requests being answered now, and the most there ever were at once. */
  inFlight: { now: number; max: number };
  close(): Promise<void>;
  /** Stop answering (connections refused) until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Delay every HIL answer by `ms`. */
  setLatency(ms: number): void;
  /**
   * The next `n` HIL requests (only those whose path matches `only`) answer `status` (default 500) with a
   * ServerError, or `type` (409 with BlockedError, as HIL answers a networking call on a busy NIC), with `msg`.
   */
  failRequests(n: number, status?: number, type?: string, only?: RegExp, msg?: string): void;
  /** The next `n` networking actions end in ERROR. */
  failActions(n: number): void;
  setPendingMs(ms: number): void;
}

/** Starts a HIL simulator and its OBM daemon on 127.0.0.1, each on a free port. */
export async function startHilSim(opts: HilSimOptions = {}): Promise<HilSim> {
  const state = new SimState();
  const actions = new SimActions(state.actions, opts.pendingMs ?? 200);
  const requests: HilRequestRecord[] = [];
  const knobs = { latencyMs: 0, failures: 0, failStatus: 500, failType: "ServerError", failOnly: /./, failMsg: "" };

  const obmd = createServer(obmdHandler(state));
  const obmdSockets = trackSockets(obmd);
  state.obmdUrl = `http://127.0.0.1:${await listen(obmd, 0)}`;

  const hil = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const hilSockets = trackSockets(hil);
  const port = await listen(hil, 0);

  const inFlight = { now: 0, max: 0 };
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    inFlight.max = Math.max(inFlight.max, ++inFlight.now);
    try {
      await handleOne(req, res);
    } finally {
      inFlight.now--;
    }
  }

  async function handleOne(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://hil").pathname;
    const text = await readBody(req);
    const token = req.headers["x-auth-token"];
    requests.push({
      method: req.method ?? "", path, body: text,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(typeof token === "string" ? { token } : {}),
    });
    if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
    if (knobs.failures > 0 && knobs.failOnly.test(path)) {
      knobs.failures--;
      return reply(res, { status: knobs.failStatus, json: { type: knobs.failType, msg: knobs.failMsg } });
    }
    try {
      reply(res, answer(req, path, text));
    } catch (err) {
      const f = err instanceof HilFault ? err : new HilFault(500, "ServerError", String(err));
      reply(res, { status: f.status, json: { type: f.type, msg: f.message } });
    }
  }

  function answer(req: IncomingMessage, path: string, text: string): SimAnswer {
    const method = req.method ?? "GET";
    const found = matchRoute(ROUTES, method, path);
    if (!("route" in found) || !found.route) {
      throw found.pathMatched ? new HilFault(405, "MethodNotAllowed", `${method} not allowed`) : faults.notFound("no such URL");
    }
    if (method === "GET" && text !== "") throw faults.validation("GET requests must not carry a body");
    let body: Record<string, unknown> = {};
    // HIL only reads a body sent as application/json; anything else is invisible to it.
    if (/^application\/json\b/i.test(req.headers["content-type"] ?? "") && text !== "") {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw faults.badArgument("The request body is not valid JSON.");
      }
    }
    const principal = authenticate(state, req.headers);
    return found.route.handle({ params: found.params, body, principal }, { state, actions });
  }

  return {
    url: `http://127.0.0.1:${port}`,
    obmdUrl: state.obmdUrl,
    state,
    requests,
    inFlight,
    async close() {
      actions.close();
      await Promise.all([closeHard(hil, hilSockets), closeHard(obmd, obmdSockets)]);
    },
    down: () => closeHard(hil, hilSockets),
    async up() {
      await listen(hil, port);
    },
    setLatency(ms) {
      knobs.latencyMs = ms;
    },
    failRequests(n, status = 500, type = "ServerError", only = /./, msg = "simulated internal error") {
      knobs.failures = n;
      knobs.failMsg = msg;
      knobs.failStatus = status;
      knobs.failType = type;
      knobs.failOnly = only;
    },
    failActions(n) {
      actions.failNext = n;
    },
    setPendingMs(ms) {
      actions.pendingMs = ms;
    },
  };
}

function reply(res: ServerResponse, a: SimAnswer): void {
  const headers: Record<string, string> = { ...HIL_TYPE };
  if (a.location !== undefined) headers["Location"] = a.location;
  send(res, a.status, a.json === undefined ? "" : JSON.stringify(a.json), headers);
}
