-- Indexes every provisioned record under its project (provof:<project>), for records written before the index
-- existed. Idempotent; the scripts keep the index from then on.
local n = 0
for _, node in ipairs(redis.call('SMEMBERS', P .. 'provnodes')) do
  local project = redis.call('HGET', P .. 'prov:' .. node, 'project')
  if project and project ~= '' then
    redis.call('SADD', provOf(project), node)
    n = n + 1
  end
end
return n
