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
