import { COMMON } from "./common";

// Shared head of the owner's writes: the fence proves the caller still holds the job's lease.
const GUARD = String.raw`
local id, fence, op = ARGV[5], ARGV[6], cjson.decode(ARGV[7])
local k = jk(id)
local st = redis.call('HGET', k, 'state')
if not st then return 'GONE' end
if hget(k, 'fence') ~= fence then return 'FENCED' end
local ok = false
for _, s in ipairs(op.expect) do if s == st then ok = true end end
if not ok then return st end
for name, json in pairs(op.steps) do redis.call('HSET', k .. ':steps', name, json) end
for _, ev in ipairs(op.events) do emit(id, ev) end
`;

/**
 * Records step results and events, and optionally a new job state, if the caller still owns the job and the job
 * is in one of op.expect. ARGV[5] id, ARGV[6] fence, ARGV[7] JSON {expect, state?, steps: {name: json}, events}.
 * Answers 'OK', 'FENCED' (lease lost), 'GONE', or the job's current state when it is not an expected one
 * (e.g. 'CANCELLING': the caller switches to undoing).
 */
export const TRANSITION = COMMON + GUARD + String.raw`
if op.state then redis.call('HSET', k, 'state', op.state) end
redis.call('HSET', k, 'updated', NOW_ISO)
return 'OK'
`;

/**
 * Ends a job: the last step records, the provisioned record (op.prov: restore | del | keep | {set = fields}),
 * the node's disk list (op.disks: {add = {disk, image}} or {rem = disk}), then the common finish (lock released,
 * finished event, retention, bulk bookkeeping). Same answers as TRANSITION.
 */
export const FINISH = COMMON + GUARD + String.raw`
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
`;

/**
 * Cancels a job: not started -> CANCELLED now; running -> CANCELLING (its owner undoes what is done); a bulk job
 * cancels every child not finished yet. ARGV[5] id, ARGV[6] reason. Answers the job's state afterwards.
 */
export const CANCEL = COMMON + String.raw`
local id, reason = ARGV[5], ARGV[6]
local k = jk(id)
local st = redis.call('HGET', k, 'state')
if not st then return redis.error_reply('NOT_FOUND job ' .. id .. ' not found') end
if TERMINAL[st] then return st end
if hget(k, 'kind') == 'BULK' then
  if st == 'RUNNING' then
    redis.call('HSET', k, 'state', 'CANCELLING', 'cancelreq', reason, 'error', reason, 'updated', NOW_ISO)
    stopChildren(id, reason, false)
  end
else
  cancelOne(id, reason)
end
return hget(k, 'state')
`;
