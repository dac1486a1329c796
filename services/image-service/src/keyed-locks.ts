export type Mode = "read" | "write";

/**
 * Readers/writer locks by name, as the image library takes them: in process (KeyedLocks, one instance per store) or
 * in Redis with leases and fencing tokens (coordination/redis-locks.ts, several instances on one Ceph pool).
 */
export interface Locks {
  /** Runs `fn` holding every key in its mode; keys are taken in sorted order, so two callers cannot deadlock. */
  with<T>(keys: Array<[string, Mode]>, fn: () => Promise<T>): Promise<T>;
  /** Waits for the lock and answers its release function; prefer `with`, which cannot forget to release. */
  hold(key: string, mode: Mode): Promise<() => void>;
  /**
   * Called by a driver right before it commits (the rename that makes a change visible): throws ABORTED when a
   * lock the calling operation holds was lost, so a holder that outlived its lease never finishes its write.
   */
  fence(): Promise<void>;
}

interface Lock { readers: number; writer: boolean; queue: Array<{ mode: Mode; grant: () => void }> }

/**
 * Readers/writer locks by name, in process. Operations on one image or disk take its lock so that, say, a disk
 * being cloned from an image (read) and that image's deletion (write) never interleave; unrelated names never
 * wait on each other. Several keys are taken in sorted order, so two operations cannot deadlock.
 */
export class KeyedLocks implements Locks {
  private readonly locks = new Map<string, Lock>();

  async with<T>(keys: Array<[string, Mode]>, fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Map(keys)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const held: Array<() => void> = [];
    try {
      for (const [key, mode] of sorted) held.push(await this.hold(key, mode));
      return await fn();
    } finally {
      for (const release of held.reverse()) release();
    }
  }

  /** In one process a lock cannot be lost: nothing to check. */
  async fence(): Promise<void> {}

  async hold(key: string, mode: Mode): Promise<() => void> {
    let lock = this.locks.get(key);
    if (!lock) {
      lock = { readers: 0, writer: false, queue: [] };
      this.locks.set(key, lock);
    }
    const l = lock;
    if (l.queue.length === 0 && free(l, mode)) take(l, mode);
    else await new Promise<void>((grant) => l.queue.push({ mode, grant }));
    return () => {
      if (mode === "write") l.writer = false;
      else l.readers--;
      // Wake waiters in arrival order while they fit: a run of readers together, or one writer.
      while (l.queue.length > 0 && free(l, l.queue[0]!.mode)) {
        const next = l.queue.shift()!;
        take(l, next.mode);
        next.grant();
      }
      if (!l.writer && l.readers === 0 && l.queue.length === 0) this.locks.delete(key);
    };
  }
}

function free(l: Lock, mode: Mode): boolean {
  return mode === "read" ? !l.writer : !l.writer && l.readers === 0;
}

function take(l: Lock, mode: Mode): void {
  if (mode === "write") l.writer = true;
  else l.readers++;
}
