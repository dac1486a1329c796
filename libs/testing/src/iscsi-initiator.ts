import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { guarded } from "./die-with-test";

const run = promisify(execFile);

/** Where and as whom a test initiator logs in. */
export interface IscsiLogin {
  portal: string;
  iqn: string;
  initiator: string;
  chap?: { user: string; secret: string };
}

/**
 * Logs in with libiscsi's userspace initiator and runs INQUIRY on LUN 1. Answers `{ ok, output }`: a refused
 * login is an answer (ok false), not an exception ("Authentication failure" for CHAP, "Target not found" for
 * an ACL miss).
 */
export async function iscsiInquiry(l: IscsiLogin): Promise<{ ok: boolean; output: string }> {
  const cred = l.chap ? `${l.chap.user}%${l.chap.secret}@` : "";
  try {
    const r = await run("iscsi-inq", ["-i", l.initiator, `iscsi://${cred}${l.portal}/${l.iqn}/1`], { timeout: 20_000 });
    return { ok: true, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` || e.message };
  }
}

/** Copies LUN 1 to `out` with qemu-img (libiscsi) and answers its first `bytes` bytes. */
export async function iscsiReadHead(l: IscsiLogin, out: string, bytes = 512): Promise<Buffer> {
  await run("qemu-img", ["convert", "-O", "raw", "--image-opts", imageOpts(l), out], { timeout: 60_000 });
  return readFileSync(out).subarray(0, bytes);
}

/** Keeps one logged-in session open (qemu-io sleeping) until `close()`, for tests of deletes under load. */
export async function holdIscsiSession(l: IscsiLogin): Promise<{ close(): Promise<void> }> {
  const child = spawn(...guarded("qemu-io", ["--image-opts", imageOpts(l), "-c", "sleep 600000"]), { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

function imageOpts(l: IscsiLogin): string {
  const [host, port] = l.portal.split(":");
  return ["driver=raw", "file.driver=iscsi", "file.transport=tcp", `file.portal=${host}:${port}`,
    `file.target=${l.iqn}`, "file.lun=1", `file.initiator-name=${l.initiator}`,
    ...(l.chap ? [`file.user=${l.chap.user}`, `file.password=${l.chap.secret}`] : [])].join(",");
}
