import { execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestDnsmasq {
  pid: number;
  pidFile: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * A private L2 network for a VM: namespace `name` holds bridge `bridge` (address `nsAddress`) with tap `tap`
 * for QEMU and one end of a veth pair; the other end stays in the root namespace with `hostAddress`, so the VM
 * reaches services listening there (boot-service HTTP, tgtd) while DHCP stays inside the namespace.
 */
export interface TestNetns {
  name: string;
  bridge: string;
  tap: string;
  hostAddress: string;
  nsAddress: string;
  /** First three octets, e.g. "10.213.7": the /24 the network uses. */
  subnet: string;
  /** A ULA /64 on the bridge (e.g. "fd77:1:2:3::"), for dnsmasq's router advertisements: without one, iPXE
   * waits about 13 s for IPv6 before it boots. */
  ipv6Prefix: string;
  /**
   * Starts dnsmasq inside the namespace (through nsenter, which keeps the root mount namespace) with `conf`; DHCP
   * only, unless `dns` (then it answers DNS on port 53 too, e.g. the names of `host-record` lines, and its DHCP
   * answers name it as the name server).
   */
  startDnsmasq(opts: { dir: string; conf: string[]; pidFile?: string; dns?: boolean }): Promise<TestDnsmasq>;
  /** Stops every dnsmasq it started, deletes the veth pair and the namespace. Safe to call twice. */
  destroy(): Promise<void>;
}

export async function createNetns(): Promise<TestNetns> {
  const id = randomBytes(3).toString("hex");
  const name = `bmit-${id}`;
  const hostIf = `bh${id}`;
  const nsIf = `bn${id}`;
  const subnet = await freeSubnet();
  const started: TestDnsmasq[] = [];
  const ip = (...args: string[]) => run("ip", args);
  const inNs = (...args: string[]) => run("ip", ["-n", name, ...args]);
  const net: TestNetns = {
    name, bridge: "br0", tap: "tap0", hostAddress: `${subnet}.1`, nsAddress: `${subnet}.2`, subnet, ipv6Prefix: `fd77:${id.slice(0, 4)}::`,
    startDnsmasq: async (opts) => {
      const d = await startDnsmasq(name, opts.dir, opts.conf, opts.pidFile, opts.dns);
      started.push(d);
      return d;
    },
    destroy: async () => {
      process.removeListener("exit", leftover);
      for (const d of started.splice(0)) await d.stop();
      await ip("link", "del", hostIf).catch(() => undefined);
      await ip("netns", "del", name).catch(() => undefined);
    },
  };
  // Should the test process end without destroy() (a crash), the namespace and the veth still go.
  const leftover = () => {
    spawnSync("ip", ["link", "del", hostIf]);
    spawnSync("ip", ["netns", "del", name]);
  };
  process.once("exit", leftover);
  try {
    await ip("netns", "add", name);
    await ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf, "netns", name);
    await ip("addr", "add", `${subnet}.1/24`, "dev", hostIf);
    await ip("link", "set", hostIf, "up");
    await inNs("link", "add", "br0", "type", "bridge", "forward_delay", "0");
    await inNs("tuntap", "add", "tap0", "mode", "tap");
    for (const port of [nsIf, "tap0"]) await inNs("link", "set", port, "master", "br0");
    await inNs("addr", "add", `${subnet}.2/24`, "dev", "br0");
    await inNs("-6", "addr", "add", `${net.ipv6Prefix}2/64`, "dev", "br0", "nodad");
    for (const link of ["lo", "br0", nsIf, "tap0"]) await inNs("link", "set", link, "up");
  } catch (err) {
    await net.destroy();
    throw err;
  }
  return net;
}

async function startDnsmasq(netns: string, dir: string, conf: string[], pid?: string, dns = false): Promise<TestDnsmasq> {
  const id = randomBytes(3).toString("hex");
  const confFile = path.join(dir, `dnsmasq-${id}.conf`);
  const pidFile = pid ?? path.join(dir, `dnsmasq-${id}.pid`);
  const logFile = path.join(dir, `dnsmasq-${id}.log`);
  // Root keeps dnsmasq able to read files written by the test after it drops privileges; no DNS (port=0) unless asked.
  writeFileSync(confFile, [
    `port=${dns ? 53 : 0}`, "user=root", "bind-interfaces", "log-dhcp", `dhcp-leasefile=${path.join(dir, `leases-${id}`)}`,
    ...conf, "",
  ].join("\n"));
  const fd = openSync(logFile, "a");
  const child = spawn("nsenter", [`--net=/run/netns/${netns}`, "setpriv", "--pdeathsig", "KILL", "--", "dnsmasq", "--keep-in-foreground", "--log-facility=-",
    `--conf-file=${confFile}`, `--pid-file=${pidFile}`], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => { exited = true; resolve(); }));
  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 2000);
    await exit;
    clearTimeout(t);
  };
  const until = Date.now() + 5000;
  while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim() === "") {
    if (exited || Date.now() > until) {
      await stop();
      throw new Error(`dnsmasq did not start: ${readFileSync(logFile, "utf8").slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  return { pid: child.pid ?? -1, pidFile, logFile, stop };
}

/** A 10.x.y.0/24 that no interface in the root namespace uses. */
async function freeSubnet(): Promise<string> {
  const used = (await run("ip", ["-4", "-o", "addr"])).stdout;
  for (;;) {
    const b = randomBytes(2);
    const subnet = `10.${200 + ((b[0] ?? 0) % 50)}.${b[1] ?? 0}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
}
