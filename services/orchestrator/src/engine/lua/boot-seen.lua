-- Joins a boot-phase event from boot-service to BMI's state: the job holding the node's lock gets it in its event
-- log, the provisioned record moves READY -> BOOTING -> BOOTED, and the node's last phase is kept for a waiting
-- boot_seen step (which may run on another instance). JetStream may redeliver: the dedupe key makes that a no-op.
--
-- ARGV[5] node, ARGV[6] project, ARGV[7] phase (SCRIPT_SERVED | BOOT_ATTEMPTED | BOOT_FAILED | SCRIPT_REFUSED),
-- ARGV[8] BootPhaseEvent as JSON, ARGV[9] dedupe key. Answers the id of the job it joined, '' or 'DUP'.
local node, project, phase, body, dedupe = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
if not redis.call('SET', P .. 'bootdedupe:' .. dedupe, 1, 'NX', 'PX', 86400000) then return 'DUP' end
-- A refused fetch is somebody else's (another address): it goes into the job's log, never over the node's own phase.
if phase ~= 'SCRIPT_REFUSED' then redis.call('HSET', P .. 'nodeboot:' .. node, 'phase', phase, 'seen', NOW_MS, 'project', project) end
local holder = redis.call('GET', P .. 'lock:' .. node)
local joined = ''
if holder and hget(jk(holder), 'project') == project then
  emit(holder, '{"time":"' .. NOW_ISO .. '","boot":' .. body .. '}')
  joined = holder
end
local pk = P .. 'prov:' .. node
local pst = hget(pk, 'state')
if hget(pk, 'project') == project and (pst == 'READY' or pst == 'BOOTING' or pst == 'BOOTED') then
  local ns = pst
  if phase == 'SCRIPT_SERVED' then ns = 'BOOTING' elseif phase == 'BOOT_ATTEMPTED' then ns = 'BOOTED' end
  if ns ~= pst then setProv(node, {state = ns}, hget(pk, 'job')) end
end
return joined
