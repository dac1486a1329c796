import { loadConfigOrExit } from "@bmi/config";
import { silentLogger } from "@bmi/log";
import { connectRedis, redisLocation } from "@bmi/redis";
import { targetSpec } from "./config";
import { RedisTargetStore } from "./drivers/redis-store";
import { TgtDriver } from "./drivers/tgt";
import { StoreAdmin } from "./store-admin";

const USAGE = `usage: node services/target-service/dist/admin.js <command>   (same BMI_* environment as target-service)
  status                   which store tgtd follows, and what reconciling against this store would delete
  adopt [--ceph-conf F] [--ceph-user U]
                           record tgtd's targets in this store as wanted (RBD backings get conf/user from the
                           flags: default /etc/ceph/ceph.conf, admin); tgtd then follows this store
  accept-store [--yes]     make tgtd follow this store as it is: the service then deletes what it does not want`;

/** Operator commands for a target store target-service refused (Redis flushed or lost, another prefix). */
async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  const flag = (name: string, fallback: string) => {
    const i = flags.indexOf(name);
    return i >= 0 ? flags[i + 1] ?? fallback : fallback;
  };
  if (!["status", "adopt", "accept-store"].includes(command ?? "")) {
    console.error(USAGE);
    return 2;
  }
  const cfg = loadConfigOrExit("target-service admin", targetSpec);
  const log = silentLogger();
  const redis = await connectRedis(redisLocation(cfg), log);
  const driver = new TgtDriver({ controlPort: cfg.tgtdControlPort, portals: cfg.portals, ipc: cfg.tgtdIpc, log });
  const admin = new StoreAdmin(new RedisTargetStore(redis, cfg.redisPrefix), driver, { date: cfg.iqnDate, domain: cfg.iqnDomain });
  try {
    if (command === "status") {
      const s = await admin.status();
      print([`store ${s.store}: id ${s.storeId}, ${s.wanted} wanted targets`, `tgtd (control port ${cfg.tgtdControlPort}): follows store ${s.tgtdStoreId}, ${s.targets} targets`,
        `reconciling: ${s.verdict}`], [["would delete", s.wouldDelete]]);
      return 0;
    }
    if (command === "adopt") {
      const r = await admin.adopt({ conf: flag("--ceph-conf", "/etc/ceph/ceph.conf"), user: flag("--ceph-user", "admin") });
      print([`store id ${r.storeId}: ${r.adopted.length} targets adopted, ${r.alreadyRecorded.length} already recorded`], [
        ["adopted (CHAP secret unknown until the target is created again)", r.adopted], ["skipped", r.skipped],
        ["still differ from the store (tgtd not marked; adopt cannot take them: fix, or accept-store deletes them)", r.conflicts],
      ]);
      return r.conflicts.length > 0 ? 1 : 0;
    }
    const status = await admin.status();
    if (status.wouldDelete.length > 0 && !flags.includes("--yes")) {
      print(["accept-store would make target-service delete these targets; run again with --yes to do it"], [["", status.wouldDelete]]);
      return 1;
    }
    const r = await admin.acceptStore();
    print([`tgtd now follows store ${r.storeId}`], [["target-service's next pass deletes", r.deleting]]);
    return 0;
  } finally {
    driver.close();
    redis.disconnect();
  }
}

function print(head: string[], sections: Array<[string, string[]]>): void {
  for (const line of head) console.log(line);
  for (const [title, items] of sections.filter(([, items]) => items.length > 0)) {
    if (title) console.log(`${title}:`);
    for (const item of items) console.log(`  ${item}`);
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  console.error(`target-service admin: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
