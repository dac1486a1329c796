import { execFile, spawn } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import path from "node:path";
import { guarded } from "./die-with-test";
import { promisify } from "node:util";
import { freePort } from "./ports";

const run = promisify(execFile);

export interface TestSentinelSet {
  /** The master's name the Sentinel watches. */
  master: string;
  /** Ports of the two Redis servers: the master at start, then its replica. */
  servers: [number, number];
  /** Port of the Sentinel. */
  sentinel: number;
  /** Runs redis-cli against `port` and answers its stdout. */
  cli(port: number, args: string[]): Promise<string>;
  /** Port of the server that is master now (ROLE). */
  masterPort(): Promise<number>;
  /** Asks the Sentinel to fail over (SENTINEL FAILOVER) and resolves once the other server is master. */
  failover(timeoutMs?: number): Promise<number>;
  /** SIGKILLs every process it started. Safe to call twice. */
  stop(): void;
}

/**
 * A private Redis master, one replica and one Sentinel watching them, on free loopback ports, for tests of what a
 * site's HA Redis looks like to BMI. Nothing is persisted; every process dies with the test process
 * (setpriv --pdeathsig) or by stop(). Resolves once the Sentinel knows the replica, so a failover can happen.
 */
export async function startRedisSentinel(dir: string, master = "bmimaster"): Promise<TestSentinelSet> {
  const pids: number[] = [];
  const started = (cmd: string, args: string[], log: string) => {
    const fd = openSync(path.join(dir, log), "a");
    const child = spawn(...guarded(cmd, args), { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    if (child.pid !== undefined) pids.push(child.pid);
  };
  const stop = () => {
    for (const pid of pids.splice(0)) {
      try { process.kill(pid, "SIGKILL"); } catch { /* gone already */ }
    }
  };
  const cli = async (port: number, args: string[]) => (await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 5000 })).stdout;
  try {
    const servers: [number, number] = [await freePort(), await freePort()];
    const sentinel = await freePort();
    const common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
    started("redis-server", ["--port", String(servers[0]), ...common], "master.log");
    started("redis-server", ["--port", String(servers[1]), ...common, "--replicaof", "127.0.0.1", String(servers[0])], "replica.log");
    await until(async () => /master_link_status:up/.test(await cli(servers[1], ["info", "replication"])), 10_000, "replica in sync");
    // Sentinel rewrites its configuration file: it must be its own, writable one.
    const conf = path.join(dir, "sentinel.conf");
    writeFileSync(conf, [
      `port ${sentinel}`, "bind 127.0.0.1", `dir ${dir}`,
      `sentinel monitor ${master} 127.0.0.1 ${servers[0]} 1`,
      `sentinel down-after-milliseconds ${master} 1000`,
      `sentinel failover-timeout ${master} 5000`, "",
    ].join("\n"));
    started("redis-sentinel", [conf], "sentinel.log");
    await until(async () => /\bip\b/.test(await cli(sentinel, ["sentinel", "replicas", master])), 20_000, "Sentinel knows the replica");
    // The master is the one the Sentinel names: right after a failover both servers answer ROLE master until the
    // Sentinel turns the old one into a replica (it waits a few seconds of the old master reporting itself first).
    const masterPort = async () => {
      const [, port] = (await cli(sentinel, ["sentinel", "get-master-addr-by-name", master])).trim().split("\n");
      const found = servers.find((p) => String(p) === port?.trim());
      if (found === undefined) throw new Error(`the Sentinel names no test Redis server as master (${port})`);
      return found;
    };
    const role = async (port: number) => (await cli(port, ["role"]).catch(() => "")).split("\n")[0]?.trim();
    // SENTINEL FAILOVER answers an error (redis-cli still exits 0) when the Sentinel has no fresh INFO from the
    // replica yet (NOGOODSLAVE): ask again until it is accepted. Done means the Sentinel names the other server,
    // that server is master and the old one has become its replica, the state clients see from then on.
    const failover = async (timeoutMs = 60_000) => {
      const before = await masterPort();
      let now = before;
      let accepted = false;
      await until(async () => {
        if (!accepted) {
          const answer = (await cli(sentinel, ["sentinel", "failover", master])).trim();
          accepted = /^(OK|INPROG)/.test(answer);
          return false;
        }
        now = await masterPort();
        return now !== before && await role(now) === "master" && await role(before) === "slave";
      }, timeoutMs, "failover");
      return now;
    };
    return { master, servers, sentinel, cli, masterPort, failover, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`test Redis: no ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
