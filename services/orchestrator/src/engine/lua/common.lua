-- Lua shared by every engine script (prepended to each). A job's state, its steps, its event log, the node lock,
-- the provisioned record and the relay queue change together inside one script, so Redis never holds a state
-- the events do not tell, and a crash between two writes cannot happen.
--
-- ARGV[1] key prefix, ARGV[2] now (ISO), ARGV[3] now (ms), ARGV[4] retention of finished jobs (ms);
-- each script's own arguments start at ARGV[5].
local P = ARGV[1]
local NOW_ISO = ARGV[2]
local NOW_MS = ARGV[3]
local TTL_MS = ARGV[4]
local TERMINAL = {SUCCEEDED = true, FAILED = true, CANCELLED = true, PARTIAL = true}
local HOLD = {}

local function jk(id) return P .. 'job:' .. id end
local function hget(k, f)
  local v = redis.call('HGET', k, f)
  if v then return v end
  return ''
end
local function num(k, f) return tonumber(hget(k, f)) or 0 end
local function pendScore() return redis.call('INCR', P .. 'pendseq') end

-- Appends one event to the job's log (a stream, for WatchJob) and to the relay queue (for NATS).
local function emit(id, body)
  local seq = redis.call('HINCRBY', jk(id), 'seq', 1)
  redis.call('XADD', jk(id) .. ':ev', '*', 'seq', seq, 'ev', body)
  redis.call('RPUSH', P .. 'relay', 'job\n' .. id .. '\n' .. seq .. '\n' .. body)
  return seq
end

-- A finished job's log is written back as RESTORE makes it: Redis gives a stream's newest node 4 KiB at its first
-- entry and shrinks it only when the next node starts, so a job's short log kept 4 KiB for its whole retention; its
-- DUMP restored is the same entries and IDs in a listpack of their own size (8 events: 4.6 -> 1.5 KiB). A reopened
-- job (a bulk rollback) appends to it as before. pcall: where the ACL refuses DUMP or RESTORE the log stays as it is.
local function compactLog(key)
  local dump = redis.pcall('DUMP', key)
  if type(dump) == 'string' then redis.pcall('RESTORE', key, 0, dump, 'REPLACE') end
end

local function nodeEvent(node, project, state, jobId)
  local body = cjson.encode({node = node, project = project, state = 'NODE_STATE_' .. state, jobId = jobId, time = NOW_ISO})
  redis.call('RPUSH', P .. 'relay', 'node\n' .. node .. '\n' .. jobId .. ':' .. state .. ':' .. NOW_MS .. '\n' .. body)
end

-- The nodes provisioned in a project (what its node quota counts), beside the provisioned records themselves.
local function provOf(project) return P .. 'provof:' .. project end

-- How many nodes a project holds; a member whose record is gone or names another project is dropped on the way.
local function provUsed(project)
  local n = 0
  for _, node in ipairs(redis.call('SMEMBERS', provOf(project))) do
    if redis.call('HGET', P .. 'prov:' .. node, 'project') == project then
      n = n + 1
    else
      redis.call('SREM', provOf(project), node)
    end
  end
  return n
end

local function setProv(node, fields, jobId)
  local pk = P .. 'prov:' .. node
  local flat = {}
  for k, v in pairs(fields) do
    table.insert(flat, k)
    table.insert(flat, tostring(v))
  end
  redis.call('HSET', pk, 'updated', NOW_ISO, unpack(flat))
  redis.call('SADD', P .. 'provnodes', node)
  if hget(pk, 'project') ~= '' then redis.call('SADD', provOf(hget(pk, 'project')), node) end
  if fields.state then nodeEvent(node, hget(pk, 'project'), fields.state, jobId) end
end

local function delProv(node, project, jobId)
  redis.call('DEL', P .. 'prov:' .. node)
  redis.call('SREM', P .. 'provnodes', node)
  redis.call('SREM', provOf(project), node)
  nodeEvent(node, project, 'DEPROVISIONED', jobId)
end

-- Puts the provisioned record back as it was when the job was created (nothing happened).
local function restoreProv(id)
  local k = jk(id)
  local node = hget(k, 'node')
  if node == '' then return end
  local pk = P .. 'prov:' .. node
  local prev = hget(k, 'provprev')
  if prev == '' then
    if hget(pk, 'job') == id then delProv(node, hget(k, 'project'), id) end
  elseif hget(pk, 'job') == id then
    redis.call('DEL', pk)
    setProv(node, cjson.decode(prev), id)
  end
end

local childDone

-- What a finished job no longer needs: who it ran for, and the secrets its steps handed to each other (CHAP).
local function forget(k)
  redis.call('HDEL', k, 'auth')
  local steps = redis.call('HGETALL', k .. ':steps')
  for i = 1, #steps, 2 do
    local s = cjson.decode(steps[i + 1])
    if type(s.secrets) == 'table' and next(s.secrets) ~= nil then
      s.secrets = {}
      redis.call('HSET', k .. ':steps', steps[i], cjson.encode(s))
    end
  end
end

local function finishJob(id, state, err)
  local k = jk(id)
  if TERMINAL[hget(k, 'state')] then return end
  redis.call('HSET', k, 'state', state, 'error', err, 'finished', NOW_ISO, 'updated', NOW_ISO)
  -- Who ran it last stays on record (operators, and tests of two instances sharing work).
  if hget(k, 'owner') ~= '' then redis.call('HSET', k, 'ranby', hget(k, 'owner')) end
  redis.call('HDEL', k, 'owner')
  redis.call('ZREM', P .. 'runnable', id)
  local node = hget(k, 'node')
  if node ~= '' and redis.call('GET', P .. 'lock:' .. node) == id then redis.call('DEL', P .. 'lock:' .. node) end
  emit(id, cjson.encode({time = NOW_ISO, finished = {state = 'JOB_STATE_' .. state, error = err,
    succeeded = num(k, 'succeeded'), failed = num(k, 'failed')}}))
  local parent = hget(k, 'parent')
  -- A child keeps its principal and secrets until its bulk job ends: a rollback may still need them.
  if parent == '' then forget(k) end
  compactLog(k .. ':ev')
  for _, s in ipairs({'', ':steps', ':ev', ':children', ':queue'}) do redis.call('PEXPIRE', k .. s, TTL_MS) end
  if parent ~= '' then childDone(parent, id, state, err, node) end
end

-- Released children wait in 'runnable' until an instance claims them; the rest wait in the bulk job's queue.
local function release(pid)
  local k = jk(pid)
  while num(k, 'running') < num(k, 'maxpar') do
    local cid = redis.call('LPOP', k .. ':queue')
    if not cid then break end
    redis.call('HSET', k .. ':children', cid, 'PENDING')
    redis.call('HINCRBY', k, 'running', 1)
    redis.call('ZADD', P .. 'runnable', pendScore(), cid)
  end
end

local function cancelOne(id, reason)
  local k = jk(id)
  local st = hget(k, 'state')
  if st == 'PENDING' then
    restoreProv(id)
    finishJob(id, 'CANCELLED', reason)
  elseif st == 'RUNNING' then
    redis.call('HSET', k, 'state', 'CANCELLING', 'cancelreq', reason, 'updated', NOW_ISO)
  end
end

-- A succeeded child of a failed bulk job runs again, undoing every step; it needs its node lock back first.
local function rollbackChild(pid, cid, reason)
  local k = jk(cid)
  local node = hget(k, 'node')
  if not redis.call('SET', P .. 'lock:' .. node, cid, 'NX') then return end
  redis.call('HSET', k, 'state', 'CANCELLING', 'cancelreq', reason, 'updated', NOW_ISO, 'finished', '')
  for _, s in ipairs({'', ':steps', ':ev'}) do redis.call('PERSIST', k .. s) end
  redis.call('ZADD', P .. 'runnable', pendScore(), cid)
  redis.call('HSET', jk(pid) .. ':children', cid, 'CANCELLING')
  redis.call('HINCRBY', jk(pid), 'succeeded', -1)
  redis.call('HINCRBY', jk(pid), 'running', 1)
end

local settle

local function stopChildren(pid, reason, rollback)
  local k = jk(pid)
  HOLD[pid] = true
  local kids = redis.call('HGETALL', k .. ':children')
  for i = 1, #kids, 2 do
    local cid, cs = kids[i], kids[i + 1]
    if cs == 'QUEUED' then
      restoreProv(cid)
      finishJob(cid, 'CANCELLED', reason)
    elseif cs == 'SUCCEEDED' then
      if rollback then rollbackChild(pid, cid, reason) end
    elseif not TERMINAL[cs] then
      cancelOne(cid, reason)
    end
  end
  redis.call('DEL', k .. ':queue')
  HOLD[pid] = nil
  settle(pid)
end

settle = function(pid)
  local k = jk(pid)
  local pstate = hget(k, 'state')
  if TERMINAL[pstate] or HOLD[pid] then return end
  local total, succ = num(k, 'total'), num(k, 'succeeded')
  local lost = num(k, 'failed') + num(k, 'cancelled')
  -- minsucc is the number asked for (the node count for all-or-nothing); 0 asks for none, so what succeeded stays.
  local need = num(k, 'minsucc')
  if pstate == 'RUNNING' and need > 0 and lost > total - need then
    local msg = lost .. ' of ' .. total .. ' nodes failed or were cancelled; at least ' .. need .. ' had to succeed'
    redis.call('HSET', k, 'state', 'CANCELLING', 'error', msg, 'updated', NOW_ISO)
    return stopChildren(pid, 'rolled back: ' .. msg, true)
  end
  if pstate == 'RUNNING' then release(pid) end
  if succ + lost >= total and num(k, 'running') <= 0 then
    local final = 'SUCCEEDED'
    if pstate == 'CANCELLING' then
      if hget(k, 'cancelreq') ~= '' then final = 'CANCELLED' else final = 'FAILED' end
    elseif succ < need or succ == 0 then
      final = 'FAILED'
      if succ == 0 and hget(k, 'error') == '' then redis.call('HSET', k, 'error', 'all ' .. total .. ' nodes failed or were cancelled') end
    elseif lost > 0 then
      final = 'PARTIAL'
      -- A bulk deprovision's (BulkDeprovision: spec.childKind) succeeded children are deprovisioned, not provisioned.
      local ok, ps = pcall(cjson.decode, hget(k, 'spec'))
      local what = ' stay provisioned'
      if ok and type(ps) == 'table' and ps.childKind == 'DEPROVISION' then what = ' deprovisioned' end
      redis.call('HSET', k, 'error', lost .. ' of ' .. total .. ' nodes failed or were cancelled; ' .. succ .. what)
    end
    finishJob(pid, final, hget(k, 'error'))
    local kids = redis.call('HKEYS', k .. ':children')
    for _, cid in ipairs(kids) do forget(jk(cid)) end
  end
end

childDone = function(pid, cid, state, err, node)
  local k = jk(pid)
  local old = hget(k .. ':children', cid)
  if old == state then return end
  redis.call('HSET', k .. ':children', cid, state)
  local counter = {SUCCEEDED = 'succeeded', FAILED = 'failed', CANCELLED = 'cancelled'}
  if counter[old] then redis.call('HINCRBY', k, counter[old], -1) end
  if counter[state] then redis.call('HINCRBY', k, counter[state], 1) end
  if old ~= 'QUEUED' and not TERMINAL[old] then redis.call('HINCRBY', k, 'running', -1) end
  emit(pid, cjson.encode({time = NOW_ISO, childFinished = {childId = cid, node = node, state = 'JOB_STATE_' .. state, error = err}}))
  settle(pid)
end
