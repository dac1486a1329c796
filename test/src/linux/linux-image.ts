import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "@bmi/testing";

const run = promisify(execFile);

/** The recipe (deploy/linux-image/build.sh, `npm run image:linux`). */
export const LINUX_IMAGE_BUILD = path.join(REPO_ROOT, "deploy", "linux-image", "build.sh");

/**
 * The path of BMI's Linux golden image, or of a role image built the same way (`variant`: "slurm", build.sh
 * --variant): the cached build when the recipe is unchanged (at once), else a fresh build (about 3 minutes:
 * mmdebstrap from Debian's archive), which later runs and CI reuse.
 */
export async function linuxImage(variant?: "slurm"): Promise<string> {
  const started = Date.now();
  const { stdout, stderr } = await run("bash", [LINUX_IMAGE_BUILD, ...(variant ? ["--variant", variant] : [])],
    { maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
  const built = /^built .*$/m.exec(stderr)?.[0];
  if (built) console.log(`# linux image: ${built} (${Date.now() - started} ms)`);
  const file = stdout.trim().split("\n").pop() ?? "";
  if (!file.endsWith(".raw")) throw new Error(`${LINUX_IMAGE_BUILD} printed no image path:\n${stdout}\n${stderr.slice(-2000)}`);
  return file;
}
