/**
 * The scheduler's reservations in Redis, beside the engine's keys (same prefix):
 *   sched:res:<id>        hash: project, owner, start, end (ms; 0 = open), expires (ms; 0 = until released), nodes (a,b,c)
 *   sched:node:<node>     hash: reservation id -> "start end expires"
 *   sched:held:<project>  set of "id|node": what the project's lasting reservations (leases) hold, for its node quota
 * A node is free for [start, end) when no job holds it (lock:<node>), BMI has not provisioned it (prov:<node>) and
 * no unexpired reservation of it overlaps the window. Everything a request takes, it takes in one script: two
 * requests never get the same node.
 */
const COMMON = String.raw`
local P = ARGV[1]
local NOW = tonumber(ARGV[2])
local INF = 9007199254740991
local DRY = false
local function stop(e) if e == 0 then return INF end return e end
local function rk(id) return P .. 'sched:res:' .. id end
local function nk(node) return P .. 'sched:node:' .. node end
local function hk(project) return P .. 'sched:held:' .. project end
-- Another reservation of node overlapping [s, e), ignoring 'self'; expired ones are dropped on the way.
local function clash(node, s, e, self)
  local held = redis.call('HGETALL', nk(node))
  for j = 1, #held, 2 do
    local rs, re, rx = string.match(held[j + 1], '^(%d+) (%d+) (%d+)$')
    rs, re, rx = tonumber(rs), tonumber(re), tonumber(rx)
    if rx ~= 0 and rx <= NOW then
      if not DRY then redis.call('HDEL', nk(node), held[j]) end
    elseif held[j] ~= self and s < stop(re) and rs < stop(e) then
      return held[j]
    end
  end
  return nil
end
local function split(text)
  local out = {}
  for n in string.gmatch(text or '', '[^,]+') do out[#out + 1] = n end
  return out
end
-- Distinct nodes the project holds: provisioned ones and those its lasting reservations hold.
local function inUse(project)
  local seen, n = {}, 0
  for _, node in ipairs(redis.call('SMEMBERS', P .. 'provof:' .. project)) do
    if not seen[node] then seen[node] = true; n = n + 1 end
  end
  for _, m in ipairs(redis.call('SMEMBERS', hk(project))) do
    local node = string.match(m, '|(.*)$')
    if node and not seen[node] then seen[node] = true; n = n + 1 end
  end
  return n, seen
end
`;

/**
 * ARGV: prefix, now, id, project, owner, start, end, expires, count, minCount, placement, quota ("1": count the
 * project's node quota), dry ("1": pick, answer, write nothing), then node, rack pairs (the selector's matches,
 * in the order to prefer). Answers {"ok", node...}, {"short", free} or {"quota", used, limit}. An existing id is
 * added to (scale up).
 */
export const RESERVE = COMMON + String.raw`
DRY = ARGV[13] == '1'
local id, project, owner = ARGV[3], ARGV[4], ARGV[5]
local s, e, x = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local count, minCount, placement, quota = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11], ARGV[12] == '1'
local racks, order, free = {}, {}, 0
for i = 14, #ARGV, 2 do
  local node, rack = ARGV[i], ARGV[i + 1]
  if redis.call('EXISTS', P .. 'lock:' .. node) == 0 and redis.call('EXISTS', P .. 'prov:' .. node) == 0
    and not clash(node, s, e, id) and redis.call('HEXISTS', nk(node), id) == 0 then
    if not racks[rack] then racks[rack] = {}; order[#order + 1] = rack end
    table.insert(racks[rack], node)
    free = free + 1
  end
end
if free < minCount then return {'short', tostring(free)} end
local want = math.min(count, free)
if quota then
  local limit = tonumber(redis.call('HGET', P .. 'quota:' .. project, 'nodes'))
  if limit then
    local used = inUse(project)
    if used + want > limit then
      if limit - used < minCount or limit - used <= 0 then return {'quota', tostring(used), tostring(limit)} end
      want = limit - used
    end
  end
end
-- Racks with the most free nodes first (ties: as given); pack takes the smallest rack that holds them all, if any.
table.sort(order, function(a, b)
  if #racks[a] ~= #racks[b] then return #racks[a] > #racks[b] end
  return a < b
end)
local picked = {}
if placement == 'pack' then
  for i = #order, 1, -1 do
    if #racks[order[i]] >= want then table.insert(order, 1, table.remove(order, i)); break end
  end
  for _, rack in ipairs(order) do
    for _, node in ipairs(racks[rack]) do
      if #picked < want then picked[#picked + 1] = node end
    end
  end
else
  local round = 1
  while #picked < want do
    for _, rack in ipairs(order) do
      local node = racks[rack][round]
      if node and #picked < want then picked[#picked + 1] = node end
    end
    round = round + 1
  end
end
local out = {'ok'}
for _, node in ipairs(picked) do out[#out + 1] = node end
if DRY then return out end
local window = s .. ' ' .. e .. ' ' .. x
for _, node in ipairs(picked) do
  redis.call('HSET', nk(node), id, window)
  if x == 0 then redis.call('SADD', hk(project), id .. '|' .. node) end
end
local before = redis.call('HGET', rk(id), 'nodes')
local all = table.concat(picked, ',')
if before and before ~= '' then all = before .. ',' .. all end
redis.call('HSET', rk(id), 'project', project, 'owner', owner, 'start', s, 'end', e, 'expires', x, 'nodes', all)
if x ~= 0 then redis.call('PEXPIREAT', rk(id), x) end
return out
`;

/** ARGV: prefix, now, id, then the nodes to let go (none: all of them, and the reservation). Idempotent. */
export const RELEASE = COMMON + String.raw`
local id = ARGV[3]
local project = redis.call('HGET', rk(id), 'project')
if not project then return 0 end
local nodes = split(redis.call('HGET', rk(id), 'nodes'))
local drop = {}
for i = 4, #ARGV do drop[ARGV[i]] = true end
local keep = {}
for _, node in ipairs(nodes) do
  if #ARGV < 4 or drop[node] then
    redis.call('HDEL', nk(node), id)
    redis.call('SREM', hk(project), id .. '|' .. node)
  else
    keep[#keep + 1] = node
  end
end
if #keep == 0 then redis.call('DEL', rk(id)) else redis.call('HSET', rk(id), 'nodes', table.concat(keep, ',')) end
return #nodes - #keep
`;

/**
 * ARGV: prefix, now, id, start, end: moves the reservation's window (extend, shorten, end now). Answers {"ok"},
 * {"gone"} or {"clash", node, other reservation}: a longer window must not overlap another reservation.
 */
export const RESCHEDULE = COMMON + String.raw`
local id, s, e = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
if redis.call('EXISTS', rk(id)) == 0 then return {'gone'} end
local nodes = split(redis.call('HGET', rk(id), 'nodes'))
for _, node in ipairs(nodes) do
  local other = clash(node, s, e, id)
  if other then return {'clash', node, other} end
end
local x = redis.call('HGET', rk(id), 'expires')
for _, node in ipairs(nodes) do redis.call('HSET', nk(node), id, s .. ' ' .. e .. ' ' .. x) end
redis.call('HSET', rk(id), 'start', s, 'end', e)
return {'ok'}
`;
