import type { LiveTarget } from "../target";

/**
 * What tgtd holds per tid as far as the driver knows (see TgtDriver), with the tids each CHAP account is bound to:
 * tgtd unbinds a deleted account from every target, and finding those by a scan of every target per delete made
 * a bulk of deletes O(n^2) in this process too.
 */
export class HeldTargets {
  private readonly byTid = new Map<number, LiveTarget>();
  private readonly byUser = new Map<string, Set<number>>();

  get(tid: number): LiveTarget | undefined {
    return this.byTid.get(tid);
  }

  set(tid: number, live: LiveTarget): void {
    this.delete(tid);
    this.byTid.set(tid, live);
    for (const user of usersOf(live)) {
      let tids = this.byUser.get(user);
      if (!tids) this.byUser.set(user, (tids = new Set()));
      tids.add(tid);
    }
  }

  delete(tid: number): void {
    const live = this.byTid.get(tid);
    if (!live) return;
    this.byTid.delete(tid);
    for (const user of usersOf(live)) {
      const tids = this.byUser.get(user);
      tids?.delete(tid);
      if (tids?.size === 0) this.byUser.delete(user);
    }
  }

  clear(): void {
    this.byTid.clear();
    this.byUser.clear();
  }

  /** The account is gone from tgtd: no target has it bound any more. */
  dropUser(user: string): void {
    for (const tid of [...(this.byUser.get(user) ?? [])]) {
      const t = this.byTid.get(tid);
      if (t) this.set(tid, { ...t, accounts: t.accounts.filter((a) => a !== user), outgoing: (t.outgoing ?? []).filter((a) => a !== user) });
    }
  }
}

function usersOf(live: LiveTarget): string[] {
  return [...live.accounts, ...(live.outgoing ?? [])];
}
