import { createHash } from "node:crypto";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "@bmi/errors";
import { validateIqn, validateName } from "@bmi/validate";
import type { CreateRequest, JobStore, NewJob } from "../engine/store";
import type { JobQueries } from "../engine/queries";
import type { JobRecord, JobSpec, ProvisionedRecord } from "../engine/types";
import { assertMember, type Requester } from "./caller";
import { diskName, nextDiskSeq, nodeJob } from "./job-factory";
import { validateImageRef, validateOptions, type NodeInput, type ProvisionOptions } from "./inputs";
import { MAX_BULK, planBulk, type BulkDeprovisionInput, type BulkInput } from "./bulk";
import type { CredentialSeal } from "./principal";

export interface NodeDirectory {
  /** Nodes free to allocate, as the caller may see them (haas-gateway, with the caller's credentials). */
  freeNodes(who: Requester): Promise<string[]>;
}

/** What storage (image-service) holds: new disk names are picked past it, not only past a counter in Redis. */
export interface DiskDirectory {
  /** Names of the disks `project` holds, as the caller may see them. */
  names(project: string, who: Requester): Promise<string[]>;
}

export interface ProvisioningOptions {
  /** Initiator IQNs are "<prefix>:<project>.<node>". */
  initiatorPrefix: string;
  defaultMaxParallel: number;
  idempotencyTtlMs: number;
  /** Without one (tests of the engine alone), storage is taken to hold no disk. */
  disks?: DiskDirectory;
  /** What jobs keep of their caller. */
  seal: CredentialSeal;
  /** Target hosts per RBD-backed disk (BMI_ORCH_TARGET_MULTIPATH), kept in each job that makes a target. */
  targetHosts?: number;
}

/** Turns requests into jobs: validation, node state preconditions, idempotency. Jobs then run in the Worker. */
export class Provisioning {
  constructor(private readonly store: JobStore, private readonly queries: JobQueries,
    private readonly nodes: NodeDirectory, private readonly opts: ProvisioningOptions,
    private readonly onCreated: () => void = () => undefined) {}

  /** How the job's target is placed, as this instance is set: kept in the job, for whichever instance runs it. */
  private placing(): Pick<JobSpec, "targetHosts"> {
    return this.opts.targetHosts !== undefined ? { targetHosts: this.opts.targetHosts } : {};
  }

  async provision(who: Requester, project: string, input: NodeInput, options: ProvisionOptions, key = ""): Promise<JobRecord> {
    assertMember(who, validateName("project", project), `project ${project}`);
    const job = await this.provisionJob(who, project, input, options);
    return this.create(who, project, key, { kind: "provision", project, input, options }, [job]);
  }

  async deprovision(who: Requester, project: string, node: string, deleteDisk: boolean, releaseNode: boolean, key = ""): Promise<JobRecord> {
    const prev = await this.provisionedIn(who, project, node);
    const job = this.deprovisionJob(who, project, node, prev, deleteDisk, releaseNode);
    return this.create(who, project, key, { kind: "deprovision", project, node, deleteDisk, releaseNode }, [job]);
  }

  /** What DeprovisionNode makes for a node provisioned in the project; a bulk deprovision's children are the same. */
  private deprovisionJob(who: Requester, project: string, node: string, prev: ProvisionedRecord, deleteDisk: boolean,
    releaseNode: boolean): NewJob {
    const spec: JobSpec = { node, deleteDisk, releaseNode, previous: prev };
    return nodeJob("DEPROVISION", project, node, spec, this.principal(who),
      { provMode: "existing", provExpect: prev.job, prov: { state: "DEPROVISIONING" } });
  }

  /**
   * Deprovisions many nodes of the project in one bulk job, each child what DeprovisionNode makes. Every node is
   * checked before anything is written (a node not provisioned in the project, another project's included, is
   * NOT_FOUND as DeprovisionNode answers it), and the create script refuses the whole request for a busy node or a
   * record that changed meanwhile: every child is created, or nothing. No minimum: a deprovision is never rolled back.
   */
  async bulkDeprovision(who: Requester, project: string, input: BulkDeprovisionInput, key = ""): Promise<JobRecord> {
    assertMember(who, validateName("project", project), `project ${project}`);
    const { nodes } = input;
    if (input.all && nodes.length > 0) throw new InvalidArgumentError("nodes or all, not both");
    if (!input.all && nodes.length === 0) throw new InvalidArgumentError("no nodes: name them, or ask for all");
    if (nodes.length > MAX_BULK) throw new InvalidArgumentError(`a bulk job takes at most ${MAX_BULK} nodes, not ${nodes.length}`);
    const seen = new Set<string>();
    for (const n of nodes) {
      if (seen.has(validateName("node", n))) throw new InvalidArgumentError(`node ${n} is named twice`);
      seen.add(n);
    }
    let prevs: ProvisionedRecord[];
    if (input.all) {
      prevs = await this.queries.provisionedAll(project);
      if (prevs.length === 0) throw new FailedPreconditionError(`project ${project} has no provisioned node`);
      if (prevs.length > MAX_BULK) throw new InvalidArgumentError(`a bulk job takes at most ${MAX_BULK} nodes, not ${prevs.length}: name them`);
    } else {
      const recs = await this.queries.provisionedMany(nodes);
      const missing = nodes.filter((_, i) => recs[i]?.project !== project);
      if (missing.length === 1) throw new NotFoundError(`node ${missing[0]} is not provisioned in project ${project}`);
      if (missing.length > 1) {
        const named = missing.slice(0, 10).join(", ") + (missing.length > 10 ? ` and ${missing.length - 10} more` : "");
        throw new NotFoundError(`nodes ${named} are not provisioned in project ${project}`);
      }
      prevs = recs as ProvisionedRecord[];
    }
    const children = prevs.map((p) => this.deprovisionJob(who, project, p.node, p, input.deleteDisk, input.releaseNode));
    const parent = planBulk(project, this.principal(who), children, { maxParallel: input.maxParallel, minSuccess: 0 },
      this.opts.defaultMaxParallel, { childKind: "DEPROVISION", deleteDisk: input.deleteDisk, releaseNode: input.releaseNode });
    return this.create(who, project, key, { kind: "bulk-deprovision", project, nodes, all: input.all === true,
      deleteDisk: input.deleteDisk, releaseNode: input.releaseNode, maxParallel: input.maxParallel }, [parent, ...children]);
  }

  async snapshot(who: Requester, project: string, node: string, image: string, key = ""): Promise<JobRecord> {
    const prev = await this.provisionedIn(who, project, node);
    const spec: JobSpec = { node, disk: prev.disk, snapshot: validateName("image", image), previous: prev };
    const job = nodeJob("SNAPSHOT", project, node, spec, this.principal(who), { provMode: "existing", provExpect: prev.job });
    return this.create(who, project, key, { kind: "snapshot", project, node, image }, [job]);
  }

  async reprovision(who: Requester, project: string, node: string, disk: string, options: ProvisionOptions, key = ""): Promise<JobRecord> {
    assertMember(who, validateName("project", project), `project ${project}`);
    validateName("node", node);
    validateName("disk", disk);
    validateOptions(options);
    const prev = await this.queries.provisioned(node);
    if (prev && prev.project !== project) throw new FailedPreconditionError(`node ${node} is provisioned in another project`);
    if (prev?.disk === disk) throw new FailedPreconditionError(`node ${node} already boots disk ${disk}`);
    await this.assertDiskUnused(project, disk, node);
    const spec: JobSpec = { node, disk, reuseDisk: true, nic: prev?.nic ?? "", network: prev?.network ?? "",
      ...options, initiatorIqn: this.iqn(project, node), ...this.placing(), ...(prev ? { previous: prev } : {}) };
    const job = nodeJob("REPROVISION", project, node, spec, this.principal(who),
      { provMode: "existing", provExpect: prev?.job ?? "", prov: { project, node, state: "PROVISIONING" } });
    return this.create(who, project, key, { kind: "reprovision", project, node, disk, options }, [job]);
  }

  async bulk(who: Requester, project: string, input: BulkInput, key = ""): Promise<JobRecord> {
    assertMember(who, validateName("project", project), `project ${project}`);
    validateOptions(input.options);
    // The size is checked before any work (picking nodes, naming disks): a request for a billion nodes costs nothing.
    const size = input.specs?.length ?? input.free?.count ?? 0;
    if (size > MAX_BULK) throw new InvalidArgumentError(`a bulk job takes at most ${MAX_BULK} nodes, not ${size}`);
    // Free nodes are picked now; another request may take some in between, so a refused pick is tried again.
    for (let round = 1; ; round++) {
      const specs = input.specs ?? await this.pickFree(who, input.free?.count ?? 0, input.free?.image ?? "", input.free?.network ?? "");
      const held = this.heldDisks(who, project);
      const children = await Promise.all(specs.map((s) => this.provisionJob(who, project, s, input.options, held)));
      const parent = planBulk(project, this.principal(who), children, input, this.opts.defaultMaxParallel);
      try {
        return await this.create(who, project, key, { kind: "bulk", project, input }, [parent, ...children]);
      } catch (err) {
        if (input.specs || round >= 3 || !(err instanceof FailedPreconditionError)) throw err;
      }
    }
  }

  private async provisionJob(who: Requester, project: string, input: NodeInput, options: ProvisionOptions,
    held = this.heldDisks(who, project)): Promise<NewJob> {
    const node = validateName("node", input.node);
    validateOptions(options);
    if (input.nic) validateName("nic", input.nic);
    if (input.network) validateName("network", input.network);
    const reuse = !!input.disk;
    if (reuse) await this.assertDiskUnused(project, validateName("disk", input.disk ?? ""), node);
    else if (!input.image) throw new InvalidArgumentError(`node ${node}: an image or an existing disk is required`);
    else validateImageRef(input.image);
    const disk = reuse ? input.disk ?? "" : await this.newDiskName(node, held);
    const spec: JobSpec = { node, disk, reuseDisk: reuse, nic: input.nic ?? "", network: input.network ?? "",
      ...(input.image ? { image: input.image } : {}), ...options, initiatorIqn: this.iqn(project, node), ...this.placing() };
    return nodeJob("PROVISION", project, node, spec, this.principal(who), {
      provMode: "new", provExpect: "",
      prov: { project, node, state: "PROVISIONING", disk, image: input.image ?? "", nic: input.nic ?? "", network: input.network ?? "" },
    });
  }

  /**
   * The node's next disk name: past its counter and past every `<node>-<n>` disk storage holds. The counter lives
   * only in Redis: after a flush, a lost Redis or with a new prefix it starts again at 1, while the disks remain.
   */
  private async newDiskName(node: string, held: () => Promise<string[]>): Promise<string> {
    const key = this.store.keys.diskSeq(node);
    // Both at once: the counter and image-service's list are independent, and one single provision waits on both.
    const [counted, names] = await Promise.all([this.store.redis.incr(key), held()]);
    const seq = nextDiskSeq(node, counted, names);
    if (seq > counted) await this.store.redis.set(key, seq);
    return diskName(node, seq);
  }

  /** The project's disk names, asked for once per request (a bulk job names hundreds of disks) and only if needed. */
  private heldDisks(who: Requester, project: string): () => Promise<string[]> {
    let names: Promise<string[]> | undefined;
    return () => (names ??= this.opts.disks?.names(project, who) ?? Promise.resolve([]));
  }

  private async pickFree(who: Requester, count: number, image: string, network: string): Promise<NodeInput[]> {
    if (count < 1) throw new InvalidArgumentError("free_nodes.count must be at least 1");
    validateImageRef(image);
    const free = await this.nodes.freeNodes(who);
    const taken = free.length === 0 ? [] : await this.store.redis.pipeline(
      free.flatMap((n) => [["exists", this.store.keys.lock(n)], ["exists", this.store.keys.prov(n)]])).exec();
    const usable = free.filter((_, i) => !taken?.[2 * i]?.[1] && !taken?.[2 * i + 1]?.[1]);
    if (usable.length < count) throw new FailedPreconditionError(`only ${usable.length} free nodes, ${count} requested`);
    return usable.slice(0, count).map((node) => ({ node, image, ...(network ? { network } : {}) }));
  }

  /** Two nodes booting one disk would corrupt it. */
  private async assertDiskUnused(project: string, disk: string, node: string): Promise<void> {
    const user = (await this.queries.provisionedAll(project)).find((p) => p.disk === disk && p.node !== node);
    if (user) throw new FailedPreconditionError(`disk ${disk} is in use by node ${user.node}`);
  }

  private async provisionedIn(who: Requester, project: string, node: string) {
    assertMember(who, validateName("project", project), `project ${project}`);
    const prev = await this.queries.provisioned(validateName("node", node));
    if (!prev || prev.project !== project) throw new NotFoundError(`node ${node} is not provisioned in project ${project}`);
    return prev;
  }

  private principal(who: Requester): string {
    return this.opts.seal.principal(who);
  }

  private iqn(project: string, node: string): string {
    return validateIqn("initiator IQN", `${this.opts.initiatorPrefix}:${project}.${node}`);
  }

  private async create(who: Requester, project: string, key: string, request: unknown, jobs: NewJob[]): Promise<JobRecord> {
    const req: CreateRequest = { project, jobs };
    if (key) {
      if (key.length > 128) throw new InvalidArgumentError("idempotency key is longer than 128 characters");
      const hash = createHash("sha256").update(JSON.stringify(request)).digest("hex").slice(0, 32);
      req.idempotency = { key, hash, ttlMs: this.opts.idempotencyTtlMs };
      for (const j of jobs) if (j.parent === "") j.idempotencyKey = key;
    }
    const { id, job, claimed } = await this.store.create(req);
    // A job the create claimed here has already queued its first write (its first step's start), and the orchestrator's
    // Redis client sends what is queued at the end of this turn of the event loop (auto-pipelining): after this call's
    // reply, its audit record and log line, about 2 ms of a single provision's critical path (2026-11-30). One turn
    // for the reply lets the job's write go first; the reply then overlaps it.
    if (claimed) await new Promise<void>((resolve) => setImmediate(resolve));
    // A job the create claimed for this instance already runs here: no worker needs waking.
    if (!claimed) this.onCreated();
    if (!job) throw new NotFoundError(`job ${id} not found`);
    assertMember(who, job.project, `job ${id}`);
    return job;
  }
}

