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
