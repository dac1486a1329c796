import path from "node:path";
import { mkdirSync } from "node:fs";
import type { Job } from "@bmi/proto/bmi/orchestrator/v1/orchestrator";
import { buildDemoImage } from "../demo-image";
import { bootThrough } from "../e2e/flows";
import { stepOutput } from "../e2e/jobs";
import { uploadRawImage } from "../e2e/upload";
import { VmNode, type VmBoot } from "../e2e/vm-node";
import type { DemoClients } from "./clients";
import type { DemoConfig } from "./config";
import { followJob } from "./job-watch";
import type { Progress } from "./progress";
import { echoSerial } from "./serial-echo";

export const GOLDEN = "demo-golden";
export const SNAPSHOT = "demo-snap";
const BOOT = { powerCycle: true, waitForBoot: true, bootTimeoutSeconds: 120 };

/** What happened to one node, line by line, for the summary. */
export type Stories = Map<string, string[]>;

/**
 * The demo's story on N VM nodes: bulk-provision them all from the golden image, snapshot the first one's disk,
 * give the second a disk cloned from that snapshot, put the second back on its earlier disk, deprovision all.
 * Every boot is a real network boot whose serial output is shown as it happens.
 */
export class Scenario {
  readonly vms: VmNode[];
  readonly stories: Stories = new Map();

  constructor(private readonly cfg: DemoConfig, private readonly c: DemoClients, private readonly progress: Progress) {
    const dir = path.join(cfg.dir, "vms");
    mkdirSync(dir, { recursive: true });
    const bootfile = `http://${cfg.vmHost}:${cfg.bootHttpPort}/boot.ipxe`;
    this.vms = Array.from({ length: cfg.nodes }, (_, i) => new VmNode({
      dir, name: `${cfg.nodePrefix}-${i + 1}`, mac: `52:54:00:de:00:${String(i + 1).padStart(2, "0")}`, net: { kind: "user", bootfile },
    }));
    for (const vm of this.vms) this.stories.set(vm.name, []);
  }

  async prepare(): Promise<void> {
    const { project } = this.cfg;
    await this.progress.phase("build and upload the demo golden image", async () => {
      const file = await buildDemoImage({ dir: this.cfg.dir, marker: GOLDEN, counter: 0 });
      const image = await uploadRawImage(this.c.image, project, GOLDEN, file);
      this.progress.line(`   image ${project}/${image.name}: ${image.sizeBytes} bytes, sha256 ${image.checksum.slice(0, 16)}..., in ${image.backend}`);
      const { backend } = this.cfg;
      if (backend !== "any" && image.backend.split(":")[0] !== backend) {
        throw new Error(`image-service stores images in ${image.backend}, not ${backend}: npm run stack:down, then npm run demo${backend === "ceph" ? " -- --ceph" : ""}`);
      }
    });
    await this.progress.phase(`register ${this.vms.length} VM nodes (QEMU, power through QMP)`, async () => {
      for (const vm of this.vms) {
        await vm.arm();
        await this.c.orch.registerNode({ name: vm.name, nics: [{ label: "eth0", mac: vm.mac, networks: {} }],
          power: { qemu: { qmpSocket: vm.qmpSocket } }, metadata: { firmware: "bios" } });
        this.progress.line(`   ${vm.name.padEnd(12)} mac ${vm.mac}, qmp ${vm.qmpSocket}`);
      }
    });
  }

  async run(): Promise<void> {
    const { project } = this.cfg;
    const [first, second] = this.vms as [VmNode, VmNode, ...VmNode[]];
    let earlier = ""; // the second node's first disk, which it goes back to
    await this.progress.phase(`bulk-provision ${this.vms.length} nodes from ${GOLDEN} and boot them`, async () => {
      const { children, boots } = await this.boot(this.vms, () => this.c.orch.bulkProvision({
        project, specs: { specs: this.vms.map((vm) => ({ node: vm.name, image: GOLDEN, disk: "", nic: "", network: "" })) },
        maxParallel: 0, minSuccess: 0, allOrNothing: true, options: BOOT, idempotencyKey: "",
      }));
      this.vms.forEach((vm, i) => this.tell(vm, `bulk provision from ${GOLDEN}`, children.find((j) => j.node === vm.name), boots[i], 0));
      const child = children.find((j) => j.node === second.name);
      earlier = (child && stepOutput(child, "disk", "disk")) ?? "";
      const { disks } = await this.c.image.listDisks({ project });
      this.progress.line(`   disks: ${disks.map((d) => `${d.name} (${d.backend})`).join(", ")}`);
      await this.showScript(first);
    });
    await this.progress.phase(`snapshot ${first.name}'s disk into image ${SNAPSHOT}`, async () => {
      const { job } = await this.c.orch.snapshotNode({ project, node: first.name, image: SNAPSHOT, idempotencyKey: "" });
      const done = await this.follow(job);
      this.story(first).push(`snapshot of its disk -> image ${SNAPSHOT} (${seconds(jobMs(done.job))})`);
    });
    await this.progress.phase(`give ${second.name} a new disk cloned from ${SNAPSHOT}`, async () => {
      const { job } = await this.c.orch.deprovisionNode({ project, node: second.name, deleteDisk: false, releaseNode: false, idempotencyKey: "" });
      const done = await this.follow(job);
      this.story(second).push(`deprovisioned, disk kept (${seconds(jobMs(done.job))})`);
      const { job: p, boots } = await this.boot([second], () => this.c.orch.provisionNode({ project,
        spec: { node: second.name, image: SNAPSHOT, disk: "", nic: "", network: "" }, options: BOOT, idempotencyKey: "" }));
      this.tell(second, `provision from ${SNAPSHOT}`, p, boots[0], 1);
    });
    await this.progress.phase(`re-provision ${second.name} to its earlier disk (no clone)`, async () => {
      const { job, boots } = await this.boot([second], () => this.c.orch.reprovisionNode({ project, node: second.name,
        disk: earlier, options: BOOT, idempotencyKey: "" }));
      this.tell(second, "re-provision to its earlier disk", job, boots[0], 1);
    });
    await this.progress.phase("deprovision every node (disks deleted, nodes released)", async () => {
      await Promise.all(this.vms.map(async (vm) => {
        const { job } = await this.c.orch.deprovisionNode({ project, node: vm.name, deleteDisk: true, releaseNode: true, idempotencyKey: "" });
        const done = await this.follow(job);
        this.story(vm).push(`deprovisioned (${seconds(jobMs(done.job))})`);
      }));
    });
  }

  private boot(vms: VmNode[], submit: () => Promise<{ job?: Job | undefined }>) {
    let children: Job[] = [];
    return bootThrough(this.c.orch, vms, submit, {
      deadlineMs: this.cfg.bootDeadlineMs,
      watch: (vm) => echoSerial(vm, this.progress),
      wait: async (id) => {
        const done = await followJob(this.c.orch, id, this.progress, this.cfg.bootDeadlineMs);
        children = done.children;
        return done.job;
      },
    }).then((r) => ({ ...r, children }));
  }

  private follow(job: Job | undefined) {
    if (!job) throw new Error("the orchestrator answered no job");
    return followJob(this.c.orch, job.id, this.progress, 120_000);
  }

  /** Records a boot for the summary; throws unless the VM booted the demo image and read `counter` from its disk. */
  private tell(vm: VmNode, what: string, job: Job | undefined, boot: VmBoot | undefined, counter: number): void {
    const disk = job ? stepOutput(job, "disk", "disk") ?? "?" : "?";
    const cloned = job && stepOutput(job, "disk", "created") === "true" ? "new clone" : "existing disk";
    const demo = boot?.demo;
    const booted = demo ? `booted it: marker ${demo.marker}, counter ${demo.counter} -> ${demo.saved ?? "not saved"}` : "did not boot";
    this.story(vm).push(`${what}: ${cloned} ${disk}; ${booted} (job ${seconds(job ? jobMs(job) : 0)}, boot ${seconds(boot?.ms ?? 0)})`);
    if (demo?.marker !== GOLDEN || demo.counter !== counter || demo.saved !== counter + 1) {
      throw new Error(`${vm.name} should have booted ${GOLDEN} with counter ${counter} and saved ${counter + 1}: ${vm.describe()}`);
    }
  }

  /** The boot script a node fetches, as boot-service renders it (CHAP secret masked). */
  private async showScript(vm: VmNode): Promise<void> {
    const { script } = await this.c.boot.renderScript({ node: vm.name, mac: vm.mac });
    this.progress.line(`   ${vm.name}'s boot script (boot-service, secret masked):`);
    for (const l of script.trimEnd().split("\n")) this.progress.line(`     ${l}`);
  }

  private story(vm: VmNode): string[] {
    return this.stories.get(vm.name) ?? [];
  }
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const jobMs = (j: Job) => (j.created && j.finished ? j.finished.getTime() - j.created.getTime() : 0);
