import { loadLua, type Redis } from "@bmi/redis";
import { Script } from "../engine/lua/script";

// Takes the due timers: each is pushed `claimMs` into the future (its claim) and answered with that new score.
// Whoever takes a timer holds it until the claim passes: an instance that dies mid-way loses it to another, one
// that finishes removes it only if nobody moved it meanwhile (an extend re-arms it at its new time).
const CLAIM = new Script(loadLua(__dirname, "lua/timer-claim"));

// ARGV: key, member, claimed score, then: nothing (done: remove) or the next due time (again).
const SETTLE = new Script(loadLua(__dirname, "lua/timer-settle"));

export interface Claimed { member: string; score: number }

/** Durable timers in one Redis sorted set (member -> due time in ms), shared by every orchestrator instance. */
export class Timers {
  constructor(private readonly redis: Redis, readonly key: string, private readonly claimMs: number) {}

  async set(member: string, due: number): Promise<void> {
    await this.redis.zadd(this.key, due, member);
  }

  async clear(member: string): Promise<void> {
    await this.redis.zrem(this.key, member);
  }

  async claim(now = Date.now(), limit = 16): Promise<Claimed[]> {
    const res = (await CLAIM.run(this.redis, [this.key, now, this.claimMs, limit])) as string[];
    const out: Claimed[] = [];
    for (let i = 0; i < res.length; i += 2) out.push({ member: res[i]!, score: Number(res[i + 1]) });
    return out;
  }

  /** Done with it: removed, unless it was moved since the claim. */
  async done(c: Claimed): Promise<void> {
    await SETTLE.run(this.redis, [this.key, c.member, c.score]);
  }

  /** Not done: due again at `due`, unless it was moved since the claim. */
  async again(c: Claimed, due: number): Promise<void> {
    await SETTLE.run(this.redis, [this.key, c.member, c.score, due]);
  }
}
