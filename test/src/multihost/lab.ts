import { execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { createNetns, freePort, type TestNetns } from "@bmi/testing";

const run = promisify(execFile);

/** A machine of the lab: a network namespace whose one interface has its own address on the lab's network. */
export interface LabHost {
  netns: string;
  address: string;
}

/**
 * One L2 network in a namespace (testing's createNetns: bridge br0, VM tap tap0, a veth whose root end has
 * `rootAddress`), plus machines plugged into the same bridge, each a namespace with an address of its own (target
 * hosts), and more taps for more VMs. Nothing is routed: VMs, the hosts and the root namespace share the /24.
 */
export interface Lab {
  net: TestNetns;
  /** The root namespace's address on the lab network: services that hosts and VMs reach listen there. */
  rootAddress: string;
  /** A namespace plugged into the bridge with address `<subnet>.<octet>`. */
  addHost(octet: number): Promise<LabHost>;
  /** One more tap on the bridge, for one more VM (tap0 comes with the network). */
  addTap(): Promise<string>;
  /** Deletes the hosts' namespaces and veths, then the network. Safe to call twice. */
  destroy(): Promise<void>;
}

export async function createLab(): Promise<Lab> {
  const lab = await createNetns();
  const id = randomBytes(3).toString("hex");
  const hosts: string[] = [];
  let taps = 0;
  const inLab = (...args: string[]) => run("ip", ["-n", lab.name, ...args]);
  // Should the test process end without destroy(), the namespaces still go (their veths with them).
  const leftover = () => { for (const h of hosts) spawnSync("ip", ["netns", "del", h]); };
  process.once("exit", leftover);
  const destroy = async () => {
    process.removeListener("exit", leftover);
    for (const h of hosts.splice(0)) await run("ip", ["netns", "del", h]).catch(() => undefined);
    await lab.destroy();
  };
  return {
    net: lab, rootAddress: lab.hostAddress, destroy,
    async addHost(octet) {
      const n = hosts.length;
      const name = `${lab.name}-h${n}`;
      const address = `${lab.subnet}.${octet}`;
      const [ours, theirs] = [`mh${id}${n}`, `mp${id}${n}`];
      hosts.push(name);
      await run("ip", ["netns", "add", name]);
      await run("ip", ["link", "add", ours, "netns", name, "type", "veth", "peer", "name", theirs, "netns", lab.name]);
      await run("ip", ["-n", name, "addr", "add", `${address}/24`, "dev", ours]);
      for (const link of ["lo", ours]) await run("ip", ["-n", name, "link", "set", link, "up"]);
      await inLab("link", "set", theirs, "master", lab.bridge);
      await inLab("link", "set", theirs, "up");
      return { netns: name, address };
    },
    async addTap() {
      const tap = `tap${++taps}`;
      await inLab("tuntap", "add", tap, "mode", "tap");
      await inLab("link", "set", tap, "master", lab.bridge);
      await inLab("link", "set", tap, "up");
      return tap;
    },
  };
}

/** A private Redis and NATS (JetStream) on `address`, so services in the lab's namespaces reach them too. */
export interface LabInfra {
  redisUrl: string;
  natsUrl: string;
  stop(): void;
}

export async function startLabInfra(dir: string, address: string): Promise<LabInfra> {
  const pids: number[] = [];
  const stop = () => {
    for (const pid of pids.splice(0)) {
      try { process.kill(pid, "SIGKILL"); } catch { /* gone already */ }
    }
  };
  const started = (cmd: string, args: string[], log: string) => {
    const fd = openSync(path.join(dir, log), "a");
    // setpriv: the server dies with the test process should it end before stop().
    const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", cmd, ...args], { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    if (child.pid !== undefined) pids.push(child.pid);
  };
  try {
    const [redis, nats] = [await freePort(), await freePort()];
    started("redis-server", ["--bind", address, "--port", String(redis), "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", dir], "redis.log");
    started("nats-server", ["-a", address, "-p", String(nats), "-js", "-sd", path.join(dir, "jetstream")], "nats.log");
    await Promise.all([waitPort(address, redis), waitPort(address, nats)]);
    return { redisUrl: `redis://${address}:${redis}`, natsUrl: `nats://${address}:${nats}`, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

async function waitPort(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createConnection({ host, port }, () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing answers on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
