import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { eachLimit } from "@bmi/async";
import { tempDir } from "@bmi/testing";
import { PowerSpec } from "@bmi/proto/bmi/haas/v1/haas";
import { startFakeQmp, type FakeQmp } from "../orchestrator/fake-qmp";
import { goldenImage, startStack, type Stack } from "../support/stack";
import { bmi, killStrays, type Run } from "./bmi";
import type { Fixtures, Who } from "./failure-table";

const CREDENTIALS: Record<Who, Record<string, string>> = {
  alice: { BMI_USER: "alice", BMI_PASSWORD: "alice-pw" }, bob: { BMI_TOKEN: "bob-token" }, admin: { BMI_TOKEN: "admin-token" },
};

export interface FailureStack {
  s: Stack;
  f: Fixtures;
  /** The power socket of node cx3 (a fake QEMU): its commands show when a job power-cycles cx3. */
  qmp: FakeQmp;
  cli(args: string[], who?: Who, env?: Record<string, string>, whileRunning?: Parameters<typeof bmi>[2]): Promise<Run>;
  /** Runs `bmi` and fails the test unless it exits 0; answers its stdout. */
  ok(args: string[], who?: Who): Promise<string>;
  /** What the failures must not change: images, disks, provisioned nodes, node allocations. */
  state(): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * A stack with static users (alice in p1, bob in p2, an admin), nodes cx1..cx3 (cx3 with a power socket), image
 * golden, cx1 provisioned from it (a finished job), disk d1 and its snapshot s1 (made by an admin: disks are
 * internal to BMI), and the local files the rows name.
 * Node names are this file's own: NATS subjects are shared by every stack on the machine.
 */
export async function startFailureStack(): Promise<FailureStack> {
  const dir = tempDir("bmi-cli-errors-");
  const usersFile = path.join(dir, "users.yaml");
  await writeFile(usersFile, ["users:", "  - {name: admin, token: admin-token, admin: true}",
    "  - {name: alice, password: alice-pw, projects: [p1]}", "  - {name: bob, token: bob-token, projects: [p2]}"].join("\n"));
  const s = await startStack({ tag: "cli-errors", auth: { usersFile, admin: "Bearer admin-token" } });
  let qmp: FakeQmp | undefined;
  const stop = async () => {
    killStrays();
    await qmp?.close();
    await s.stop();
  };
  try {
    qmp = await startFakeQmp(path.join(dir, "cx3.qmp"));
    const power = PowerSpec.fromPartial({ qemu: { qmpSocket: qmp.path } });
    await s.registerNodes(["cx1", "cx2", "cx3"], (n) => (n === "cx3" ? power : undefined));
    const cli: FailureStack["cli"] = (args, who = "alice", env = {}, whileRunning) =>
      bmi({ BMI_ADDR: s.orchAddr, BMI_IMAGE_ADDR: s.imageAddr, BMI_PROJECT: "p1", ...CREDENTIALS[who], ...env }, args, whileRunning);
    const ok = async (args: string[], who: Who = "alice") => {
      const r = await cli(args, who);
      assert.equal(r.code, 0, `bmi ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    const f = await fixtures(dir, ok);
    const names = async (args: string[], who: Who = "alice") => (JSON.parse(await ok([...args, "--json"], who)) as Array<Record<string, unknown>>)
      .map((x) => [x.name ?? x.node, x.project, x.state, x.disk].filter(Boolean).join(" ")).sort();
    const state = async () => ({ images: await names(["image", "ls"]), disks: await names(["disk", "ls"]),
      provisioned: await names(["ls"]), nodes: await names(["node", "ls", "--all"], "admin") });
    return { s, f, qmp, cli, ok, state, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function fixtures(dir: string, ok: FailureStack["ok"]): Promise<Fixtures> {
  const at = (name: string) => path.join(dir, name);
  const f: Fixtures = {
    job: "", file: await goldenImage(dir, 1), missing: at("nothing-here"), dir: at("a-directory"), downloads: at("downloads"),
    inventory: at("inventory.yaml"), inventoryTaken: at("taken.yaml"), inventoryBadName: at("bad-name.yaml"), notAList: at("not-a-list.yaml"),
  };
  await Promise.all([mkdir(f.dir), mkdir(f.downloads)]);
  const inventory = (name: string) => `nodes:\n  - {name: "${name}", nics: {eth0: "52:54:00:00:09:02"}}\n`;
  await writeFile(f.inventory, inventory("cx9"));
  await writeFile(f.inventoryTaken, inventory("cx1"));
  await writeFile(f.inventoryBadName, inventory("../x"));
  await writeFile(f.notAList, "hosts: 3\n");
  await ok(["image", "upload", "golden", f.file]);
  f.job = (JSON.parse(await ok(["pro", "cx1", "golden", "--json"])) as { id: string }).id;
  await ok(["disk", "create", "d1", "golden"], "admin");
  await ok(["snap", "create", "--disk", "d1", "s1"], "admin");
  return f;
}

/** The problem with a failed run, or undefined when it is one line matching `line` (no stack trace) and exit code `exit`. */
export function problem(what: string, r: Run, exit: number, line: RegExp): string | undefined {
  const lines = r.stderr.trimEnd().split("\n");
  if (r.code === exit && lines.length === 1 && line.test(lines[0]!) && lines[0]!.startsWith("bmi: ")) return undefined;
  return `${what}: exit ${r.code} (want ${exit}), stderr ${JSON.stringify(r.stderr)} (want one line matching ${line})`;
}

/** Runs `fn` over `items`, `n` at a time, and collects the problems it reports. */
export async function collect<T>(items: T[], n: number, fn: (item: T) => Promise<string | undefined>): Promise<string[]> {
  const problems: string[] = [];
  await eachLimit(items, n, async (item) => {
    const p = await fn(item);
    if (p) problems.push(p);
  });
  return problems;
}
