import { checkHealth } from "@bmi/testing";
import { demoClients } from "./clients";
import { loadDemoConfig } from "./config";
import { LINUX_IMAGE, LinuxStory } from "./linux";
import { removeDemoState } from "./leftovers";
import { Progress } from "./progress";
import { GOLDEN, Scenario, SNAPSHOT } from "./scenario";
import { printSummary } from "./summary";

// `npm run demo` (deploy/demo.sh brings the stack up first): VM nodes network-boot their own iSCSI disks through
// the five services. Exit status 0 only when every step and every boot did what the story says.
async function main(): Promise<number> {
  const cfg = loadDemoConfig();
  const progress = new Progress();
  const c = demoClients(cfg);
  const scenario = new Scenario(cfg, c, progress);
  // --linux (BMI_DEMO_LINUX=true): one more node, booting Debian from its BMI disk (linux.ts).
  const linux = cfg.linux ? new LinuxStory(cfg, c, progress) : undefined;
  const nodes = [...scenario.vms.map((vm) => vm.name), ...(linux ? [linux.vm.name] : [])];
  const images = [GOLDEN, SNAPSHOT, ...(linux ? [LINUX_IMAGE] : [])];
  // Ctrl-C or a kill: exit through process.exit, whose "exit" hooks kill the VMs (VmNode registers them).
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(sig, () => process.exit(130));
  let failed = false;
  try {
    // The nodes' power controls answer from the start: deprovisioning an earlier run's leftovers powers them off.
    await Promise.all(scenario.vms.map((vm) => vm.arm()));
    await progress.phase("check the stack", async () => {
      for (const [name, addr] of [["orchestrator", cfg.orchAddr], ["image-service", cfg.imageAddr],
        ["target-service", cfg.targetAddr], ["boot-service", cfg.bootAddr]]) {
        progress.line(`   ${name!.padEnd(15)} ${addr} ${await checkHealth(addr!, "", 3000, cfg.ca)}`);
      }
      const left = await removeDemoState(c, cfg.project, nodes, images);
      if (left.length > 0) throw new Error(`an earlier demo run left things behind:\n  ${left.join("\n  ")}`);
    });
    await scenario.prepare();
    await scenario.run();
    if (linux) scenario.stories.set(linux.vm.name, [await linux.run()]);
  } catch (err) {
    failed = true;
    progress.line(`FAILED: ${(err as Error).message}`);
    progress.line(`VM serial logs: ${cfg.dir}/vms; service logs: .run/stack/logs/`);
  } finally {
    await progress.phase("clean up the demo's nodes, disks and images", async () => {
      for (const p of await removeDemoState(c, cfg.project, nodes, images)) progress.line(`   left: ${p}`);
    });
    await Promise.all([...scenario.vms, ...(linux ? [linux.vm] : [])].map((vm) => vm.stop()));
    c.close();
  }
  printSummary(scenario.stories, progress);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
