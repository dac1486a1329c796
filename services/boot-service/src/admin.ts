import { loadConfigOrExit } from "@bmi/config";
import { silentLogger } from "@bmi/log";
import { connectRedis, redisLocation } from "@bmi/redis";
import { bootSpec } from "./config";
import { dnsmasqHostLines } from "./dhcp/dnsmasq";
import { bootStoreIdentity, DnsmasqHostsSync } from "./drivers/dnsmasq";
import { RedisBootStore } from "./drivers/redis-store";

const USAGE = `usage: node services/boot-service/dist/admin.js accept-store   (same BMI_* environment as boot-service)
  accept-store   the managed dnsmasq hosts file follows the boot store as it is now: MACs it lacks are dropped`;

/** Operator command for a dnsmasq hosts file boot-service kept from an empty or other store (see drivers/dnsmasq.ts). */
async function main(argv: string[]): Promise<number> {
  if (argv[0] !== "accept-store") {
    console.error(USAGE);
    return 2;
  }
  const cfg = loadConfigOrExit("boot-service admin", bootSpec);
  if (!cfg.dnsmasqHostsFile) {
    console.error("BMI_BOOT_DNSMASQ_HOSTS_FILE is not set: boot-service manages no hosts file here");
    return 2;
  }
  const log = silentLogger();
  const redis = await connectRedis(redisLocation(cfg), log);
  try {
    const hosts = dnsmasqHostLines(await new RedisBootStore(redis, cfg.redisPrefix).list());
    const identity = bootStoreIdentity(redis, cfg.redisPrefix);
    await new DnsmasqHostsSync(cfg.dnsmasqHostsFile, cfg.dnsmasqPidFile, log, identity).accept(hosts.map((l) => `${l}\n`).join(""));
    console.log(`${cfg.dnsmasqHostsFile} now follows boot store ${await identity.get() ?? ""}: ${hosts.length} MACs`);
    return 0;
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  console.error(`boot-service admin: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
