-- Creates a job (or a bulk job and its children) at once: idempotency key, node locks with fencing tokens,
-- provisioned records, indexes, the first events, and the claimable queue. All or nothing: a busy node refuses the
-- whole request before anything is written.
--
-- The project's node quota (quota:<project> nodes) is taken here too: a node this request provisions anew counts
-- from now on, so two requests can never both take the last one. A single-node request over the quota is refused
-- RESOURCE_EXHAUSTED. A bulk job takes all its nodes up front: when they do not all fit but at least min_success
-- do (the node count for all-or-nothing; none, when 0), it starts with the nodes that fit, in the order given, and the children past the quota end
-- FAILED at once with the quota's message (nothing of their node touched); when fewer fit, it is refused whole.
--
-- ARGV[5] JSON {project, idem?: {key, hash, ttlMs}, claim?: {instance, lease}, jobs: [CreateJob]}; the first job is
-- the one answered. With claim, a new first job that is runnable at once (not a bulk job or a child) is claimed for
-- that instance here, as claim.lua would (fence, owner, lease in 'runnable'): the instance that made it runs it
-- without a claim round trip, and another instance takes it over when the lease runs out, as after any claim.
-- Answers {'CREATED', id, job, steps, children, fence} or {'EXISTING', id, job, steps, children, 0}, with the
-- answered job's records as claim.lua answers them (its hash, its steps' hash, its children's ids; empty when an
-- existing job has expired), so the caller needs no read of its own, and the fence of its claim (0: not claimed);
-- refusals are error replies "CODE message".
local claimed = 0
local function answer(what, id)
  return {what, id, redis.call('HGETALL', jk(id)), redis.call('HGETALL', jk(id) .. ':steps'), redis.call('HKEYS', jk(id) .. ':children'), claimed}
end

local doc = cjson.decode(ARGV[5])
local first = doc.jobs[1].id

if doc.idem then
  local cur = redis.call('GET', P .. 'idem:' .. doc.project .. ':' .. doc.idem.key)
  if cur then
    local sep = string.find(cur, '|', 1, true)
    local jid = string.sub(cur, 1, sep - 1)
    if string.sub(cur, sep + 1) ~= doc.idem.hash then
      return redis.error_reply('ALREADY_EXISTS idempotency key ' .. doc.idem.key .. ' was used for a different request (job ' .. jid .. ')')
    end
    return answer('EXISTING', jid)
  end
end

local seen = {}
local over, overIds = {}, {}
local full = ''

for _, j in ipairs(doc.jobs) do
  if j.node ~= '' then
    if seen[j.node] then return redis.error_reply('INVALID_ARGUMENT node ' .. j.node .. ' appears twice') end
    seen[j.node] = true
    local holder = redis.call('GET', P .. 'lock:' .. j.node)
    if holder then return redis.error_reply('FAILED_PRECONDITION node ' .. j.node .. ' is busy with job ' .. holder) end
    local pk = P .. 'prov:' .. j.node
    if j.provmode == 'new' and redis.call('EXISTS', pk) == 1 then
      return redis.error_reply('FAILED_PRECONDITION node ' .. j.node .. ' is already provisioned (project ' ..
        hget(pk, 'project') .. ', job ' .. hget(pk, 'job') .. '): deprovision it first')
    end
    if j.provmode == 'existing' and hget(pk, 'job') ~= j.provexpect then
      return redis.error_reply('ABORTED node ' .. j.node .. ' changed while the request was prepared; retry')
    end
  end
end

local limit = tonumber(redis.call('HGET', P .. 'quota:' .. doc.project, 'nodes') or '')
if limit then
  local adds = {}
  for _, j in ipairs(doc.jobs) do
    if j.prov and j.node ~= '' and redis.call('EXISTS', P .. 'prov:' .. j.node) == 0 then table.insert(adds, j) end
  end
  local used = provUsed(doc.project)
  local room = math.max(0, limit - used)
  if #adds > room then
    local msg = 'quota nodes of project ' .. doc.project .. ': ' .. used .. ' of ' .. limit .. ' in use'
    local parent = doc.jobs[1]
    if parent.kind ~= 'BULK' then return redis.error_reply('RESOURCE_EXHAUSTED ' .. msg) end
    local need = tonumber(parent.minsucc) or 0
    if tonumber(parent.total) - (#adds - room) < need then
      return redis.error_reply('RESOURCE_EXHAUSTED ' .. msg .. ': this bulk job needs ' .. need .. ' of its ' .. #adds ..
        ' nodes and ' .. room .. ' fit')
    end
    for x = room + 1, #adds do
      over[adds[x].id] = true
      table.insert(overIds, adds[x].id)
    end
    full = 'quota nodes of project ' .. doc.project .. ': ' .. (used + room) .. ' of ' .. limit .. ' in use'
  end
end

for _, j in ipairs(doc.jobs) do
  local k = jk(j.id)
  local provprev = ''
  local nfence = 0
  if j.node ~= '' and not over[j.id] then
    redis.call('SET', P .. 'lock:' .. j.node, j.id)
    nfence = redis.call('INCR', P .. 'lockfence:' .. j.node)
    local cur = redis.call('HGETALL', P .. 'prov:' .. j.node)
    if #cur > 0 then
      local t = {}
      for i = 1, #cur, 2 do t[cur[i]] = cur[i + 1] end
      provprev = cjson.encode(t)
    end
  end
  redis.call('HSET', k, 'id', j.id, 'kind', j.kind, 'project', j.project, 'node', j.node, 'parent', j.parent,
    'state', 'PENDING', 'error', '', 'created', NOW_ISO, 'updated', NOW_ISO, 'finished', '', 'spec', j.spec,
    'plan', table.concat(j.plan, ','), 'auth', j.auth, 'fence', 0, 'seq', 0, 'nfence', nfence, 'provprev', provprev,
    'idem', j.idem, 'total', j.total, 'succeeded', 0, 'failed', 0, 'cancelled', 0, 'running', 0,
    'maxpar', j.maxpar, 'minsucc', j.minsucc)
  for i, name in ipairs(j.plan) do redis.call('HSET', k .. ':steps', name, j.steps[i]) end
  if j.prov and not over[j.id] then
    j.prov.job = j.id
    setProv(j.node, j.prov, j.id)
  end
  redis.call('ZADD', P .. 'jobs:' .. j.project, NOW_MS, j.id)
  emit(j.id, cjson.encode({time = NOW_ISO, created = {kind = 'JOB_KIND_' .. j.kind, project = j.project, node = j.node, parentId = j.parent}}))
  if j.parent ~= '' then
    redis.call('HSET', jk(j.parent) .. ':children', j.id, 'QUEUED')
    if not over[j.id] then redis.call('RPUSH', jk(j.parent) .. ':queue', j.id) end
  elseif j.kind ~= 'BULK' and doc.claim and j.id == first then
    claimed = redis.call('HINCRBY', k, 'fence', 1)
    redis.call('HSET', k, 'owner', doc.claim.instance)
    redis.call('ZADD', P .. 'runnable', tonumber(NOW_MS) + tonumber(doc.claim.lease), j.id)
  elseif j.kind ~= 'BULK' then
    redis.call('ZADD', P .. 'runnable', pendScore(), j.id)
  end
end

if doc.jobs[1].kind == 'BULK' then
  redis.call('HSET', jk(first), 'state', 'RUNNING')
  for _, id in ipairs(overIds) do finishJob(id, 'FAILED', full) end
  settle(first)
end
if doc.idem then
  redis.call('SET', P .. 'idem:' .. doc.project .. ':' .. doc.idem.key, first .. '|' .. doc.idem.hash, 'PX', doc.idem.ttlMs)
end
return answer('CREATED', first)
