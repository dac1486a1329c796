-- ARGV[5..] id, fence pairs: hands jobs back at once (graceful shutdown) so another instance resumes them.
for i = 5, #ARGV, 2 do
  local id, fence = ARGV[i], ARGV[i + 1]
  if hget(jk(id), 'fence') == fence and redis.call('ZSCORE', P .. 'runnable', id) then
    redis.call('ZADD', P .. 'runnable', pendScore(), id)
    redis.call('HDEL', jk(id), 'owner')
  end
end
return 1
