if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return {'other'} end
local fields = redis.call('HGETALL', KEYS[2])
local prefix = ARGV[3] .. '|'
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, #prefix) == prefix then
    if ARGV[5] == '' and fields[i + 1] == ARGV[6] then
      redis.call('HDEL', KEYS[2], fields[i])
      return {'ok'}
    end
    if ARGV[5] ~= '' and fields[i + 1] == ARGV[5] then return {'already'} end
  end
end
if ARGV[5] == '' then return {'already'} end
if redis.call('HEXISTS', KEYS[2], prefix .. ARGV[4]) == 1 then return {'busy'} end
redis.call('HSET', KEYS[2], prefix .. ARGV[4], ARGV[5])
return {'ok'}
