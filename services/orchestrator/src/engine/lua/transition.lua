-- Records step results and events, and optionally a new job state, if the caller still owns the job and the job
-- is in one of op.expect. ARGV[5] id, ARGV[6] fence, ARGV[7] JSON {expect, state?, steps: {name: json}, events}.
-- Answers 'OK', 'FENCED' (lease lost), 'GONE', or the job's current state when it is not an expected one
-- (e.g. 'CANCELLING': the caller switches to undoing).
if op.state then redis.call('HSET', k, 'state', op.state) end
redis.call('HSET', k, 'updated', NOW_ISO)
return 'OK'
