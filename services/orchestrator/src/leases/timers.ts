import type { Redis } from "@bmi/redis";
import { Script } from "../engine/lua/script";

// Takes the due timers: each is pushed `claimMs` into the future (its claim) and answered with that new score.
// Whoever takes a timer holds it until the claim passes: an instance that dies mid-way loses it to another, one
// that finishes removes it only if nobody moved it meanwhile (an extend re-arms it at its new time).
const CLAIM = new Script(String.raw`
local due = redis.call('ZRANGEBYSCORE', ARGV[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
local until_ = tonumber(ARGV[2]) + tonumber(ARGV[3])
for _, m in ipairs(due) do
  redis.call('ZADD', ARGV[1], until_, m)
  out[#out + 1] = m
  out[#out + 1] = tostring(until_)
end
return out
`);

// ARGV: key, member, claimed score, then: nothing (done: remove) or the next due time (again).
const SETTLE = new Script(String.raw`
local score = redis.call('ZSCORE', ARGV[1], ARGV[2])
if not score or tonumber(score) ~= tonumber(ARGV[3]) then return 0 end
if ARGV[4] then redis.call('ZADD', ARGV[1], tonumber(ARGV[4]), ARGV[2]) else redis.call('ZREM', ARGV[1], ARGV[2]) end
return 1
`);

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
