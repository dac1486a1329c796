-- Cancels a job: not started -> CANCELLED now; running -> CANCELLING (its owner undoes what is done); a bulk job
-- cancels every child not finished yet. ARGV[5] id, ARGV[6] reason. Answers the job's state afterwards.
local id, reason = ARGV[5], ARGV[6]
local k = jk(id)
local st = redis.call('HGET', k, 'state')
if not st then return redis.error_reply('NOT_FOUND job ' .. id .. ' not found') end
if TERMINAL[st] then return st end
if hget(k, 'kind') == 'BULK' then
  if st == 'RUNNING' then
    redis.call('HSET', k, 'state', 'CANCELLING', 'cancelreq', reason, 'error', reason, 'updated', NOW_ISO)
    stopChildren(id, reason, false)
  end
else
  cancelOne(id, reason)
end
return hget(k, 'state')
