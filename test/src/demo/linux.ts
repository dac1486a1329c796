import path from "node:path";
import { uploadRawImage } from "../e2e/upload";
import { VmNode } from "../e2e/vm-node";
import { linuxImage } from "../linux/linux-image";
import { bootTimeline, linuxOptions, READY, report, reportScript, serialMatch } from "../linux/linux-node";
import type { DemoClients } from "./clients";
import type { DemoConfig } from "./config";
import { followJob } from "./job-watch";
import type { Progress } from "./progress";

export const LINUX_IMAGE = "demo-linux";
// The lines of a Linux boot worth showing: iPXE's SAN disk, the initramfs' iSCSI login, bmi-init and the user-data.
const SHOWN = /^(Registered SAN device.*|Booting from SAN device.*|iscsistart: Connection.*|BMI-LINUX: .*|BMI-TEST .*)$/;

/**
 * `npm run demo -- --linux`: after the boot-sector story, one more VM node provisioned from BMI's Linux image
 * (deploy/linux-image; built on the first run, about 4 minutes, then cached): it boots Debian with its root on its
 * iSCSI disk, takes its host name from boot-service's metadata and runs a user-data script that shows where / is.
 */
export class LinuxStory {
  readonly vm: VmNode;

  constructor(private readonly cfg: DemoConfig, private readonly c: DemoClients, private readonly progress: Progress) {
    this.vm = new VmNode({ dir: path.join(cfg.dir, "vms"), name: `${cfg.nodePrefix}-linux`, mac: "52:54:00:de:00:1e",
      net: { kind: "user", bootfile: `http://${cfg.vmHost}:${cfg.bootHttpPort}/boot.ipxe` } });
  }

  async run(): Promise<string> {
    const { project } = this.cfg;
    const vm = this.vm;
    await this.progress.phase(`build (or reuse) and upload BMI's Linux image as ${LINUX_IMAGE}`, async () => {
      const file = await linuxImage();
      const image = await uploadRawImage(this.c.image, project, LINUX_IMAGE, file);
      this.progress.line(`   ${file}: ${image.sizeBytes} bytes, in ${image.backend}`);
      await vm.arm();
      await this.c.orch.registerNode({ name: vm.name, nics: [{ label: "eth0", mac: vm.mac, networks: {} }],
        power: { qemu: { qmpSocket: vm.qmpSocket } }, metadata: { firmware: "bios" } });
    });
    let story = "";
    await this.progress.phase(`provision ${vm.name} from ${LINUX_IMAGE}: Debian boots with its root on its iSCSI disk`, async () => {
      const hostname = `${vm.name}.demo`;
      const { job } = await this.c.orch.provisionNode({ project, spec: { node: vm.name, image: LINUX_IMAGE, disk: "", nic: "", network: "" },
        options: linuxOptions(hostname, reportScript()), idempotencyKey: "" });
      const stop = this.echo();
      try {
        const done = await followJob(this.c.orch, job?.id ?? "", this.progress, 400_000);
        await serialMatch(vm, READY, 60_000);
        const timeline = await bootTimeline(this.c.orch, done.job);
        const r = report(vm.serial());
        story = `${vm.name}: Linux up as ${r.hostname}, / on ${r.root} (an iSCSI LUN: ${/\/session\d+\//.test(r.sysfs ?? "")}); ` +
          timeline.map((x) => `${x.phase.toLowerCase()} ${x.s.toFixed(1)} s`).join(", ") + " after power-on";
        this.progress.line(`   ${story}`);
      } finally {
        stop();
      }
    });
    return story;
  }

  private echo(): () => void {
    let shown = 0;
    const tick = () => {
      const lines = this.vm.serial().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").split(/\r?\n/).slice(0, -1)
        .map((l) => l.trim()).filter((l) => SHOWN.test(l));
      for (const l of lines.slice(shown)) this.progress.line(`   ${this.vm.name.padEnd(12)} | ${l}`);
      shown = Math.max(shown, lines.length);
    };
    const timer = setInterval(tick, 500);
    return () => {
      clearInterval(timer);
      tick();
    };
  }
}
