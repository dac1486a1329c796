import { FailedPreconditionError, UnavailableError } from "@bmi/errors";
import type { StepContext, StepExecutor, StepResult } from "../engine/step-executor";
import { sleep } from "../engine/retry";
import type { DeprovisionStepName, ProvisionStepName, SnapshotStepName, StepName } from "../engine/plan";
import { PROVISION_OUTPUTS as OUT, SNAPSHOT_OUTPUTS, provisionOutput as out } from "../engine/outputs";

/** What the fake services hold; tests assert it is exactly what the jobs should have left. */
export class FakeWorld {
  readonly disks = new Map<string, string>();
  readonly targets = new Set<string>();
  readonly bootConfigs = new Map<string, string>();
  readonly networks = new Set<string>();
  readonly powered = new Set<string>();
  readonly allocated = new Map<string, string>();
  readonly images = new Set<string>();
  /** Creations that really created something, by "kind:name": more than 1 means something was done twice. */
  readonly created = new Map<string, number>();

  count(what: string): void {
    this.created.set(what, (this.created.get(what) ?? 0) + 1);
  }

  get empty(): boolean {
    return this.disks.size + this.targets.size + this.bootConfigs.size + this.networks.size + this.powered.size === 0;
  }
}

interface Fault { step: string; node?: string; times: number; transient: boolean; undo: boolean }

type Handler = (ctx: StepContext, w: FakeWorld) => StepResult | void;

const key = (ctx: StepContext, disk = ctx.job.spec.disk ?? "") => `${ctx.job.project}/${disk}`;

// The same step names as the real tables, checked the same way; a snapshot's check_node is the provision's here.
const RUN = {
  check_node: (c, w) => ({ outputs: OUT.check_node.write({ nic: "eth0", free: !w.allocated.has(c.job.node) }), secrets: {} }),
  allocate: (c, w) => {
    if (!out(c.steps, "check_node").free) return { outputs: OUT.allocate.write({ allocated: false }) };
    w.allocated.set(c.job.node, c.job.project);
    return { outputs: OUT.allocate.write({ allocated: true }) };
  },
  disk: (c, w) => {
    if (c.job.spec.reuseDisk) {
      if (!w.disks.has(key(c))) throw new FailedPreconditionError(`disk ${c.job.spec.disk} not found`);
    } else if (!w.disks.has(key(c))) {
      w.disks.set(key(c), c.job.spec.image ?? "");
      w.count(`disk:${key(c)}`);
    }
    return { outputs: OUT.disk.write({ disk: c.job.spec.disk ?? "", image: w.disks.get(key(c)) ?? "", created: !c.job.spec.reuseDisk }) };
  },
  target: (c, w) => {
    if (!w.targets.has(key(c))) w.count(`target:${key(c)}`);
    w.targets.add(key(c));
    return { outputs: OUT.target.write({ iqn: `iqn.2026-01.test:${c.job.spec.disk}`, portals: [], lun: 1 }),
      secrets: { chapUser: "u", chapSecret: "s3cret" } };
  },
  boot_config: (c, w) => { w.bootConfigs.set(c.job.node, c.job.spec.disk ?? ""); },
  network: (c, w) => { w.networks.add(`${c.job.node}/${c.job.spec.network}`); },
  power: (c, w) => { w.powered.add(c.job.node); },
  boot_seen: () => undefined,
  retire_previous: (c, w) => { w.targets.delete(key(c, c.job.spec.previous?.disk)); },
  snapshot: (c, w) => {
    w.images.add(`${c.job.project}/${c.job.spec.snapshot}`);
    return { outputs: SNAPSHOT_OUTPUTS.snapshot.write({ image: c.job.spec.snapshot ?? "" }) };
  },
} satisfies Record<ProvisionStepName | SnapshotStepName, Handler>;

const UNDO = {
  allocate: (c, w) => { if (out(c.steps, "allocate").allocated !== false) w.allocated.delete(c.job.node); },
  disk: (c, w) => { if (!c.job.spec.reuseDisk) w.disks.delete(key(c)); },
  target: (c, w) => { w.targets.delete(key(c)); },
  boot_config: (c, w) => {
    const prev = c.job.spec.previous?.disk;
    if (prev) w.bootConfigs.set(c.job.node, prev);
    else w.bootConfigs.delete(c.job.node);
  },
  network: (c, w) => { w.networks.delete(`${c.job.node}/${c.job.spec.network}`); },
  power: (c, w) => { w.powered.delete(c.job.node); },
  snapshot: (c, w) => { w.images.delete(`${c.job.project}/${c.job.spec.snapshot}`); },
} satisfies Partial<Record<ProvisionStepName | SnapshotStepName, Handler>>;

const DEPROVISION = {
  power_off: (c, w) => { w.powered.delete(c.job.node); },
  boot_config: (c, w) => { w.bootConfigs.delete(c.job.node); },
  network: (c, w) => { w.networks.delete(`${c.job.node}/${c.job.spec.previous?.network}`); },
  target: (c, w) => { w.targets.delete(key(c, c.job.spec.previous?.disk)); },
  disk: (c, w) => { w.disks.delete(key(c, c.job.spec.previous?.disk)); },
  release: (c, w) => { w.allocated.delete(c.job.node); },
  check_node: () => undefined,
} satisfies Record<DeprovisionStepName, Handler>;

/**
 * The services as in-memory sets, for the engine's tests only (cross-service tests use the real services). Steps
 * are idempotent like the real ones; faults, delays and blocks are injected per step.
 */
export class FakeExecutor implements StepExecutor {
  readonly world = new FakeWorld();
  readonly calls: string[] = [];
  private readonly faults: Fault[] = [];
  private readonly delays = new Map<string, number>();
  private inFlight = 0;
  maxInFlight = 0;
  private readonly stepInFlight = new Map<string, number>();
  /** The most calls of each step (runs and undos) that were in flight at once. */
  readonly maxStepInFlight = new Map<string, number>();

  fail(step: string, opts: { node?: string; times?: number; transient?: boolean; undo?: boolean } = {}): void {
    this.faults.push({ step, times: opts.times ?? Infinity, transient: opts.transient ?? false, undo: opts.undo ?? false,
      ...(opts.node ? { node: opts.node } : {}) });
  }

  delay(step: string, ms: number): void {
    this.delays.set(step, ms);
  }

  /** Which steps say they will call nothing (StepExecutor.idle); none unless set. */
  idleWhen?: (ctx: StepContext) => boolean;

  idle(ctx: StepContext): boolean {
    return this.idleWhen?.(ctx) ?? false;
  }

  async run(ctx: StepContext): Promise<StepResult> {
    return this.call(ctx, false);
  }

  async undo(ctx: StepContext): Promise<void> {
    await this.call(ctx, true);
  }

  private async call(ctx: StepContext, undo: boolean): Promise<StepResult> {
    this.calls.push(`${undo ? "undo " : ""}${ctx.job.kind.toLowerCase()} ${ctx.step} ${ctx.job.node}`);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const now = (this.stepInFlight.get(ctx.step) ?? 0) + 1;
    this.stepInFlight.set(ctx.step, now);
    this.maxStepInFlight.set(ctx.step, Math.max(this.maxStepInFlight.get(ctx.step) ?? 0, now));
    try {
      const ms = this.delays.get(ctx.step) ?? 0;
      if (ms > 0 && !undo) await sleep(ms, ctx.signal);
      if (ctx.signal.aborted) throw new UnavailableError("aborted");
      const fault = this.faults.find((f) => f.step === ctx.step && f.undo === undo && f.times > 0 && (!f.node || f.node === ctx.job.node));
      if (fault) {
        fault.times--;
        throw fault.transient ? new UnavailableError(`${ctx.step} unavailable (injected)`) : new FailedPreconditionError(`${ctx.step} broke (injected)`);
      }
      const table: Partial<Record<StepName, Handler>> = ctx.job.kind === "DEPROVISION" ? (undo ? {} : DEPROVISION) : undo ? UNDO : RUN;
      return table[ctx.step]?.(ctx, this.world) ?? {};
    } finally {
      this.inFlight--;
      this.stepInFlight.set(ctx.step, (this.stepInFlight.get(ctx.step) ?? 1) - 1);
    }
  }
}
