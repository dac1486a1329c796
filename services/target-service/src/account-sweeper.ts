import type { Logger } from "@bmi/log";
import type { Gate } from "./gate";
import type { TargetBackend } from "./target";

/**
 * The CHAP accounts of deleted targets, deleted from tgtd once it is not busy. tgtd's account delete unbinds the
 * account from every target, looking each one up by tid in a list: O(n^2) at n targets, 5-8 ms of tgtd's one thread
 * at 1,000 targets against 1-2 ms for removing the target itself, so in a bulk of deletes it was most of tgtd's work
 * and every request queued behind it. An account bound to no target opens nothing (tgtd checks CHAP against the
 * accounts bound to the target logged into), so a delete that has company leaves its accounts here, and they go
 * once no create or delete is under way: after a bulk, whose targets are gone by then, each costs next to nothing.
 * A delete with nothing else under way deletes its accounts at once. Lost in a crash, they are the reconciler's
 * (it drops accounts no wanted target uses).
 */
export class AccountSweeper {
  /** project/disk -> the accounts its deleted target had. */
  private readonly orphans = new Map<string, string[]>();
  /** Creates and deletes under way (queued at the gate included). */
  private running = 0;
  private sweeping = false;

  constructor(
    private readonly backend: Pick<TargetBackend, "deleteAccount">,
    private readonly gate: Gate,
    private readonly log: Logger,
    private readonly delayMs = 100,
  ) {}

  /** Runs a create or delete, counted: the accounts left here wait until none is under way. */
  async around<T>(fn: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      if (this.running === 0) this.schedule();
    }
  }

  /**
   * From inside the gate of `key`, before a create makes its accounts: they are no longer this sweeper's to delete
   * (the create replaces an account that is still there).
   */
  claim(key: string): void {
    this.orphans.delete(key);
  }

  /** From inside the gate of `key`, once its target is gone from tgtd: its accounts go now, or later when busy. */
  async release(key: string, users: string[]): Promise<void> {
    if (this.running <= 1 && this.orphans.size === 0) {
      for (const user of users) await this.backend.deleteAccount(user);
      return;
    }
    this.orphans.set(key, users);
  }

  /** Accounts waiting to be deleted. */
  get pending(): number {
    return this.orphans.size;
  }

  private schedule(): void {
    if (this.sweeping || this.orphans.size === 0) return;
    this.sweeping = true;
    // A short wait: the next request of a bulk usually comes within it, and the sweep waits for the bulk's end.
    setTimeout(() => void this.sweep().finally(() => {
      this.sweeping = false;
      if (this.running === 0) this.schedule();
    }), this.delayMs).unref();
  }

  private async sweep(): Promise<void> {
    for (const [key, users] of this.orphans) {
      if (this.running > 0) return;
      await this.gate.shared(key, async () => {
        // A create of the same disk got there first: the accounts are its own now.
        if (this.orphans.get(key) !== users) return;
        this.orphans.delete(key);
        for (const user of users) await this.backend.deleteAccount(user);
      }).catch((err: unknown) => {
        this.log.warn({ key, err: String(err) }, "CHAP accounts of a deleted target not deleted: the reconciler drops them");
      });
    }
  }
}
