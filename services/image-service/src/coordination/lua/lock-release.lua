if ARGV[1] == 'write' then
  if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
else
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return 0
