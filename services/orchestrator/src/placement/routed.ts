import { createClient, type BatchingOptions, type CallOpts, type PromiseClient, type TlsFiles } from "@bmi/grpc";
import {
  TargetServiceClient, type CreateTargetRequest, type CreateTargetResponse, type DeleteTargetRequest, type DeleteTargetResponse,
  type GetTargetRequest, type GetTargetResponse, type ListTargetsRequest, type ListTargetsResponse,
} from "@bmi/proto/bmi/target/v1/target";
import type { Limiter, SlotRef } from "../engine/limiter";
import { batchedTargets } from "../steps/clients";
import type { TargetHostRegistry, TargetHostState } from "./hosts";
import type { Placement, PlacementStore } from "./placement";

type Targets = PromiseClient<TargetServiceClient>;

/**
 * target-service as the steps see it, with several target hosts: each call goes to the target-service of the host
 * the disk's target is placed on (found in the registry), a new target is placed first (and the placement
 * recorded before the host is asked, so a retry finds it), and every call that changes a host's tgtd holds one of
 * that host's slots (limit "target-host", shared by every orchestrator). While no host is registered every call
 * goes to BMI_ORCH_TARGET_ADDR, the one target-service of a single-host site.
 */
export class PlacedTargets {
  private readonly clients = new Map<string, Targets>();

  constructor(
    readonly registry: TargetHostRegistry,
    readonly placements: PlacementStore,
    private readonly fallback: Targets,
    private readonly connect: { deadlineMs: number; tls: TlsFiles | undefined; batch?: BatchingOptions },
    private readonly limiter: () => Limiter,
  ) {}

  /** The target-service of a host. */
  of(host: Pick<TargetHostState, "id" | "address">): Targets {
    let c = this.clients.get(host.address);
    if (!c) {
      c = batchedTargets(createClient(TargetServiceClient, host.address, { deadlineMs: this.connect.deadlineMs, name: `target-service ${host.id}`,
        ...(this.connect.tls ? { tls: this.connect.tls } : {}) }), this.connect.batch);
      this.clients.set(host.address, c);
    }
    return c;
  }

  /**
   * Creates (or re-creates) the target on `placement`'s first live host, telling it every host of the placement;
   * with no placement, chooses one. Answers the placement used.
   */
  async create(req: CreateTargetRequest, opts?: CallOpts, force?: Placement, hostsPerDisk?: number): Promise<CreateTargetResponse> {
    // One read for the hosts, the disk's placement and the loads; one script records the placement and takes the
    // host's slot when it is free (else the step queues for it in the limiter).
    const view = await this.placements.view(req.project, req.disk, true);
    const { hosts } = view;
    if (hosts.length === 0) return this.fallback.createTarget(req, opts);
    const live = (p: Placement | undefined) => p?.hosts.map((id) => hosts.find((h) => h.id === id && h.alive)).find(Boolean);
    let placement = force ?? view.placement;
    if (!placement || !live(placement)) {
      placement = { hosts: (await this.placements.chooseAmong(hosts, view.loads, req.project, req.backing?.rbd !== undefined, [], hostsPerDisk)).map((h) => h.id) };
    }
    const host = live(placement)!;
    const limiter = this.limiter();
    const bottleneck = `target-host:${host.id}`;
    const request = limiter.request(bottleneck);
    let admitted: boolean;
    try {
      admitted = await this.placements.record(req.project, req.disk, placement, request);
    } catch (err) {
      if (request) limiter.release(request);
      throw err;
    }
    return limiter.run(bottleneck, () => this.of(host).createTarget({ ...req, placement: { hosts: placement.hosts } }, opts),
      {}, { request, admitted });
  }

  /** The target-service to ask about a disk's target: a live host of its placement, else any live host. */
  private async route(project: string, disk: string): Promise<{ client: Targets; host?: string; placed: boolean }> {
    const view = await this.placements.view(project, disk, false);
    const hosts = view.hosts.filter((h) => h.alive);
    const p = view.placement;
    if (hosts.length === 0) return { client: this.fallback, placed: p !== undefined };
    const host = hosts.find((h) => p?.hosts.includes(h.id)) ?? hosts[0]!;
    return { client: this.of(host), host: host.id, placed: p !== undefined };
  }

  async get(req: GetTargetRequest, opts?: CallOpts): Promise<GetTargetResponse> {
    return (await this.route(req.project, req.disk)).client.getTarget(req, opts);
  }

  async list(req: ListTargetsRequest, opts?: CallOpts): Promise<ListTargetsResponse> {
    const hosts = (await this.registry.list()).filter((h) => h.alive);
    return (hosts[0] ? this.of(hosts[0]) : this.fallback).listTargets(req, opts);
  }

  /** Deletes the target (every host's copy: the others remove theirs at once, kicked), then its placement. */
  async delete(req: DeleteTargetRequest, opts?: CallOpts): Promise<DeleteTargetResponse> {
    const { client, host, placed } = await this.route(req.project, req.disk);
    const run = () => client.deleteTarget(req, opts);
    // The host's slot, kept after a delete that succeeded, is released by the script that forgets the placement
    // (a disk never placed, as with no host registered, has nothing to forget: no script then).
    let kept: SlotRef | undefined;
    const limiter = this.limiter();
    const res = await (host ? limiter.run(`target-host:${host}`, run, {}, undefined, (s) => { kept = s; }) : run());
    if (!placed && !kept) return res;
    try {
      await this.placements.forget(req.project, req.disk, kept);
    } catch (err) {
      if (kept) limiter.release(kept);
      throw err;
    }
    return res;
  }

  /** Every bottleneck's slots as the orchestrators hold them. */
  limits(): ReturnType<Limiter["view"]> {
    return this.limiter().view();
  }

  /** What the steps call: target-service's client, routed. */
  client(): Targets {
    const fb = this.fallback;
    const routed = {
      createTarget: (req: CreateTargetRequest, opts?: CallOpts, placing?: { hosts?: number }) => this.create(req, opts, undefined, placing?.hosts),
      getTarget: (req: GetTargetRequest, opts?: CallOpts) => this.get(req, opts),
      listTargets: (req: ListTargetsRequest, opts?: CallOpts) => this.list(req, opts),
      deleteTarget: (req: DeleteTargetRequest, opts?: CallOpts) => this.delete(req, opts),
      bindInitiatorAddress: fb.bindInitiatorAddress,
      raw: fb.raw, metadata: fb.metadata, callOptions: fb.callOptions,
      close: () => {
        fb.close();
        for (const c of this.clients.values()) c.close();
      },
    };
    return routed as unknown as Targets;
  }
}
