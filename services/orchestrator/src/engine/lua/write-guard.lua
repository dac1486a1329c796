-- Shared head of the owner's writes: the fence proves the caller still holds the job's lease.
local id, fence, op = ARGV[5], ARGV[6], cjson.decode(ARGV[7])
local k = jk(id)
local st = redis.call('HGET', k, 'state')
if not st then return 'GONE' end
if hget(k, 'fence') ~= fence then return 'FENCED' end
local ok = false
for _, s in ipairs(op.expect) do if s == st then ok = true end end
if not ok then return st end
for name, json in pairs(op.steps) do redis.call('HSET', k .. ':steps', name, json) end
for _, ev in ipairs(op.events) do emit(id, ev) end
