import { COMMON } from "./common";

/** How many nodes project ARGV[5] holds (its node quota's use). */
export const QUOTA_USED = COMMON + String.raw`
return provUsed(ARGV[5])
`;

/**
 * Indexes every provisioned record under its project (provof:<project>), for records written before the index
 * existed. Idempotent; the scripts keep the index from then on.
 */
export const QUOTA_INDEX = COMMON + String.raw`
local n = 0
for _, node in ipairs(redis.call('SMEMBERS', P .. 'provnodes')) do
  local project = redis.call('HGET', P .. 'prov:' .. node, 'project')
  if project and project ~= '' then
    redis.call('SADD', provOf(project), node)
    n = n + 1
  end
end
return n
`;
