/**
 * Orders changes to tgtd. Creates and deletes of different targets run side by side (tgtd serves one request at
 * a time, but starting each tgtadm costs more than tgtd's work, and that part overlaps); those of the same target
 * run one after the other. A reconcile pass is exclusive: it starts once the changes in flight are done, and
 * changes asked for meanwhile wait for it, so it never sees a target half made.
 */
export class Gate {
  private writer: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly byKey = new Map<string, Promise<unknown>>();

  shared<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const ready = Promise.allSettled([this.writer, this.byKey.get(key)]);
    const run = ready.then(fn);
    const done = run.catch(() => undefined);
    this.inFlight.add(done);
    this.byKey.set(key, done);
    void done.then(() => {
      this.inFlight.delete(done);
      if (this.byKey.get(key) === done) this.byKey.delete(key);
    });
    return run;
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = Promise.allSettled([this.writer, ...this.inFlight]).then(fn);
    this.writer = run.catch(() => undefined);
    return run;
  }
}
