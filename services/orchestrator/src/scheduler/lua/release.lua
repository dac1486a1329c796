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
