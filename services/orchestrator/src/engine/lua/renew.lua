-- ARGV[5] lease ms, ARGV[6..] id, fence pairs. Extends the leases still held; answers the ids that were lost.
local lease = tonumber(ARGV[5])
local lost = {}
for i = 6, #ARGV, 2 do
  local id, fence = ARGV[i], ARGV[i + 1]
  if hget(jk(id), 'fence') == fence and redis.call('ZSCORE', P .. 'runnable', id) then
    redis.call('ZADD', P .. 'runnable', tonumber(NOW_MS) + lease, id)
  else
    table.insert(lost, id)
  end
end
return lost
