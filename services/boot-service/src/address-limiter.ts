/**
 * A token bucket per requesting address, for what nodes may ask without credentials (boot-phase callbacks, refused
 * script fetches): each becomes an event on NATS, so a tenant's node looping on them must not flood the stream or
 * the orchestrator. `ratePerSecond` tokens come back each second, up to `burst`; at most `maxAddresses` buckets are
 * kept (the fullest, i.e. idlest, are forgotten first), so a scan from many addresses cannot grow memory either.
 */
export class AddressLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly ratePerSecond: number, private readonly burst: number, private readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now) {}

  /** Takes one token for `address`; false when it has none left (answer 429, publish nothing). */
  take(address: string): boolean {
    const t = this.now();
    const b = this.buckets.get(address) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSecond);
    b.at = t;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.delete(address);
    this.buckets.set(address, b);
    if (this.buckets.size > this.maxAddresses) this.forgetIdle();
    return ok;
  }

  /** Buckets are kept in order of last use: the oldest go first. */
  private forgetIdle(): void {
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxAddresses * 0.9) break;
      this.buckets.delete(key);
    }
  }
}
