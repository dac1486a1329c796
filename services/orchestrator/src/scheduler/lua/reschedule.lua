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
