-- Records step results and events, optionally a new job state, and takes the next step's limiter slot, if the caller
-- still owns the job and the job is in one of op.expect. ARGV[5] id, ARGV[6] fence, ARGV[7] JSON {expect, state?,
-- steps: {name: json}, events, release?, acquire?}.
-- Answers 'OK', 'FENCED' (lease lost), 'GONE', or the job's current state when it is not an expected one
-- (e.g. 'CANCELLING': the caller switches to undoing).
if op.state then redis.call('HSET', k, 'state', op.state) end
redis.call('HSET', k, 'updated', NOW_ISO)
-- op.acquire {key, token, limit, lease, who}: the limiter slot of the step this write starts, taken here (one
-- script instead of two). 'OK QUEUED': written, but the bottleneck is full and the token waits for a slot.
local a = op.acquire
if a and slotAcquire(P, a.key, a.token, a.limit, a.lease, a.who) == 0 then return 'OK QUEUED' end
return 'OK'
