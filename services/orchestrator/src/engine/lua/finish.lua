-- Ends a job: the last step records, the provisioned record (op.prov: restore | del | keep | {set = fields}),
-- the node's disk list (op.disks: {add = {disk, image}} or {rem = disk}), then the common finish (lock released,
-- finished event, retention, bulk bookkeeping). Same answers as TRANSITION.
local node, project = hget(k, 'node'), hget(k, 'project')
local prov = op.prov
if prov == 'restore' then
  restoreProv(id)
elseif prov == 'del' then
  if hget(P .. 'prov:' .. node, 'job') == id then delProv(node, project, id) end
elseif type(prov) == 'table' and prov.set then
  prov.set.job = id
  setProv(node, prov.set, id)
end
local dk = P .. 'provdisks:' .. project .. ':' .. node
if op.disks and op.disks.add then redis.call('HSET', dk, op.disks.add.disk, op.disks.add.image) end
if op.disks and op.disks.rem then redis.call('HDEL', dk, op.disks.rem) end
finishJob(id, op.state, op.error)
return 'OK'
