import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./service";

const run = promisify(execFile);
const UP = path.join(REPO_ROOT, "deploy", "ceph-up.sh");
const DOWN = path.join(REPO_ROOT, "deploy", "ceph-down.sh");

export interface TestCeph {
  /** Everything of this cluster lives here; removed by stop(). */
  dir: string;
  /** ceph.conf (the admin keyring sits beside it and is named in it). */
  conf: string;
  pool: string;
  /**
   * The client BMI runs as, without "client.": "bmi", with a site's capabilities only (mon 'profile rbd', osd
   * 'profile rbd pool=rbd'; keyring named in ceph.conf), so every test on this cluster checks that they suffice.
   */
  user: string;
  /** The cluster's administrator ("admin"; `rbd -c conf` without --id), for what an operator does outside BMI. */
  admin: string;
  /** Stops the daemons by their recorded PIDs and deletes `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a private single-node Ceph (deploy/ceph-up.sh: one mon, one memstore OSD, pool "rbd") on ports no other
 * test or cluster uses, in about 2 s. Call stop() in an after() hook; should a test file die first, the daemons are
 * still stopped when its process exits.
 */
export async function startCeph(opts: { memstoreBytes?: number; addr?: string } = {}): Promise<TestCeph> {
  // `addr`: another of this host's addresses (a veth's), for clients in network namespaces; default loopback.
  const addr = opts.addr ?? "127.0.0.1";
  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    const dir = mkdtempSync(path.join(tmpdir(), "bmi-ceph-"));
    const base = await freePortBlock(addr);
    const onExit = () => { spawnSync(DOWN, [dir], { env: { ...process.env, WIPE: "1" } }); };
    process.once("exit", onExit);
    try {
      await run(UP, [dir], {
        env: { ...process.env, CEPH_PORT_BASE: String(base), CEPH_MEMSTORE_BYTES: String(opts.memstoreBytes ?? 2 ** 31), CEPH_ADDR: addr },
        timeout: 120_000,
      });
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        process.removeListener("exit", onExit);
        await run(DOWN, [dir], { env: { ...process.env, WIPE: "1" } });
      };
      return { dir, conf: path.join(dir, "ceph.conf"), pool: "rbd", user: "bmi", admin: "admin", stop };
    } catch (err) {
      // ceph-up.sh stops whatever it started when it fails; a port taken meanwhile is the usual cause: retry.
      lastError = err;
      process.removeListener("exit", onExit);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`single-node Ceph did not start: ${String(lastError)}`);
}

/** The first port of 100 consecutive free ones (mon v2, mon v1, then the daemons' range at +10..+99). */
async function freePortBlock(addr: string): Promise<number> {
  for (;;) {
    // Below the ephemeral range (32768+), where outgoing connections would take ports at random.
    const base = 20_000 + 100 * Math.floor(Math.random() * 127);
    if ((await canBind(base, addr)) && (await canBind(base + 1, addr)) && (await canBind(base + 10, addr))) return base;
  }
}

function canBind(port: number, addr: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, addr, () => srv.close(() => resolve(true)));
  });
}
