/** Redis key layout of the engine; the Lua scripts (lua/*.lua) build the same names from the same prefix. */
export class Keys {
  constructor(readonly prefix: string) {}

  job(id: string): string { return `${this.prefix}job:${id}`; }
  steps(id: string): string { return `${this.prefix}job:${id}:steps`; }
  events(id: string): string { return `${this.prefix}job:${id}:ev`; }
  children(id: string): string { return `${this.prefix}job:${id}:children`; }
  /** Jobs of a project by creation time (ms), bulk children included. */
  jobsOf(project: string): string { return `${this.prefix}jobs:${project}`; }
  get runnable(): string { return `${this.prefix}runnable`; }
  lock(node: string): string { return `${this.prefix}lock:${node}`; }
  prov(node: string): string { return `${this.prefix}prov:${node}`; }
  get provNodes(): string { return `${this.prefix}provnodes`; }
  /** The nodes provisioned in a project (its node quota's use), kept by the scripts beside the records. */
  provOf(project: string): string { return `${this.prefix}provof:${project}`; }
  /** A project's quota limits (hash: nodes). */
  quota(project: string): string { return `${this.prefix}quota:${project}`; }
  provDisks(project: string, node: string): string { return `${this.prefix}provdisks:${project}:${node}`; }
  nodeBoot(node: string): string { return `${this.prefix}nodeboot:${node}`; }
  diskSeq(node: string): string { return `${this.prefix}diskseq:${node}`; }
  get relay(): string { return `${this.prefix}relay`; }
  inflight(instance: string): string { return `${this.prefix}relay:inflight:${instance}`; }
}
