-- Shared head of the owner's writes: the fence proves the caller still holds the job's lease. op.release: limiter
-- slots {key, token} to release (lua/slots.lua).
local id, fence, op = ARGV[5], ARGV[6], cjson.decode(ARGV[7])
local k = jk(id)
-- The slots the writer held for the step it just ran go back first, whatever the answer: its work there is done.
for _, s in ipairs(op.release or {}) do slotRelease(P, s.key, s.token) end
local st = redis.call('HGET', k, 'state')
if not st then return 'GONE' end
if hget(k, 'fence') ~= fence then return 'FENCED' end
local ok = false
for _, s in ipairs(op.expect) do if s == st then ok = true end end
if not ok then return st end
for name, json in pairs(op.steps) do redis.call('HSET', k .. ':steps', name, json) end
for _, ev in ipairs(op.events) do emit(id, ev) end
