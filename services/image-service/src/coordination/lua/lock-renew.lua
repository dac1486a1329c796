local ms = tonumber(ARGV[1])
for i = 1, #KEYS / 2 do
  local w, r, mode, member = KEYS[2 * i - 1], KEYS[2 * i], ARGV[2 * i], ARGV[2 * i + 1]
  if mode == 'write' then
    if redis.call('GET', w) ~= member then return i end
    redis.call('PEXPIRE', w, ms)
  else
    local until_ = redis.call('ZSCORE', r, member)
    if not until_ or tonumber(until_) <= now then redis.call('ZREM', r, member) return i end
    redis.call('ZADD', r, now + ms, member)
    redis.call('PEXPIRE', r, ms)
  end
end
return 0
