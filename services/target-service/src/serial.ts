/**
 * Runs async functions one at a time, in call order. tgtd serves its control socket one request at a time
 * anyway; serialising here keeps a create, a delete and a reconcile pass from seeing each other half done.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
