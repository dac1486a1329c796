import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";

/**
 * `npm run bench -- cluster`: issue 17's turn-key HPC cluster under QEMU TCG (test/src/clusters/slurm-vm.test.ts with
 * BMI_SLURM_VM=1): `cluster up` of deploy/clusters/hpc.yaml on three VMs booting the Slurm role image, until the
 * head's `srun -N2 hostname` ran on both computes. Prints the test's figures (slurmctld up, slurmd up, the job) beside
 * its floor (when each node's OS was up: BMI's boot chain, whatever the image), with the date and the load.
 */
export async function run(): Promise<void> {
  const file = path.join(__dirname, "..", "clusters", "slurm-vm.test.js");
  const load = () => loadavg().map((x) => x.toFixed(1)).join(" ");
  const started = Date.now();
  console.log(`cluster bench: ${new Date().toISOString()}, load ${load()}`);
  const child = spawn(process.execPath, ["--test", file], { env: { ...process.env, BMI_SLURM_VM: "1" }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const figures = out.split("\n").filter((l) => /^#\s*(slurm|linux image)/.test(l.trim()));
  for (const l of figures) console.log(l.trim());
  console.log(`cluster bench: ${code === 0 ? "passed" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s (test file, image build ` +
    `and stack included), load now ${load()}`);
  if (code !== 0) {
    process.stdout.write(out.slice(-6000));
    process.exitCode = 1;
  }
}
