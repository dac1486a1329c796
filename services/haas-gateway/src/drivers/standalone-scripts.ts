/**
 * Lua run inside Redis so that each check-and-change is atomic: two operators registering the same MAC, or two
 * projects allocating the same node, cannot both win. Answers are tables whose first element says what happened.
 */

/** KEYS nodes, macs; ARGV name, record JSON, macs... */
export const REGISTER = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {'name'} end
for i = 3, #ARGV do
  local owner = redis.call('HGET', KEYS[2], ARGV[i])
  if owner then return {'mac', ARGV[i], owner} end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 3, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[1]) end
return {'ok'}`;

/** KEYS nodes, macs; ARGV name, expected old JSON, new JSON, new macs... (compare-and-set on the record) */
export const UPDATE = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return {'missing'} end
if old ~= ARGV[2] then return {'conflict'} end
for i = 4, #ARGV do
  local owner = redis.call('HGET', KEYS[2], ARGV[i])
  if owner and owner ~= ARGV[1] then return {'mac', ARGV[i], owner} end
end
for _, nic in ipairs(cjson.decode(old).nics) do
  if redis.call('HGET', KEYS[2], nic.mac) == ARGV[1] then redis.call('HDEL', KEYS[2], nic.mac) end
end
for i = 4, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[1]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return {'ok'}`;

/** KEYS nodes, macs, projects, nets; ARGV name */
export const UNREGISTER = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return {'missing'} end
local project = redis.call('HGET', KEYS[3], ARGV[1])
if project then return {'allocated', project} end
for _, nic in ipairs(cjson.decode(old).nics) do
  if redis.call('HGET', KEYS[2], nic.mac) == ARGV[1] then redis.call('HDEL', KEYS[2], nic.mac) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[4])
return {'ok'}`;

/** KEYS nodes, projects; ARGV name, project */
export const ASSIGN = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'missing'} end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current == ARGV[2] then return {'already'} end
if current then return {'other'} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {'ok'}`;

/** KEYS projects, nets; ARGV name, project. Freeing a node forgets its networks. */
export const UNASSIGN = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return {'free'} end
if current ~= ARGV[2] then return {'other'} end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return {'ok'}`;

/** KEYS projects, nets; ARGV name, project, nic, channel, network ('' detaches network ARGV[6]) */
export const ATTACH = `
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
return {'ok'}`;
