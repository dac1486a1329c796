import { EventBus } from "@bmi/events";
import { clientTlsOf, type BmiServer } from "@bmi/grpc";
import type { Logger } from "@bmi/log";
import { BootServiceService } from "@bmi/proto/bmi/boot/v1/boot";
import { connectRedis, redisLocation, warnIfNotPersistent } from "@bmi/redis";
import { BootConfigs } from "./boot-configs";
import { publicUrl, tftpServer, type BootServiceConfig } from "./config";
import { renderHints } from "./dhcp";
import { bootStoreIdentity, DnsmasqHostsSync } from "./drivers/dnsmasq";
import { NatsPhaseSink } from "./drivers/nats-phases";
import { RedisBootStore } from "./drivers/redis-store";
import { BOOT_ACCESS, bootHandlers } from "./handlers";
import { HaasNodeOwners } from "./drivers/haas-nodes";
import { BootHttpServer } from "./http-server";
import { ScriptBinder } from "./script-binding";
import { TargetServiceAcl } from "./drivers/target-acl";
import { TftpServer } from "./tftp/server";

export interface BootService {
  configs: BootConfigs;
  bus: EventBus;
  httpPort: number;
  /** Undefined when TFTP is off. */
  tftpPort: number | undefined;
}

/** Wires boot-service onto `server`: Redis store, event bus, HTTP script server, TFTP, optional dnsmasq sync. */
export async function wireBootService(server: BmiServer, cfg: BootServiceConfig, log: Logger): Promise<BootService> {
  const redis = await connectRedis(redisLocation(cfg), log);
  await warnIfNotPersistent(redis, log, "every boot config (the managed dnsmasq hosts file keeps its MACs, see admin.js accept-store)");
  const store = new RedisBootStore(redis, cfg.redisPrefix);
  const configs = new BootConfigs(store, log);
  const bus = new EventBus({ servers: cfg.natsServers, stream: cfg.natsStream, redis, outboxKey: `${cfg.redisPrefix}boot:outbox`, log, security: cfg });
  bus.start();
  const base = publicUrl(cfg);
  const hints = { scriptUrl: `${base}/boot.ipxe`, tftpServer: tftpServer(cfg), biosFile: cfg.biosFile, efiFile: cfg.efiFile };
  const script = { baseUrl: base, attempts: cfg.sanAttempts, retryDelaySeconds: cfg.sanRetryDelayS };
  if (cfg.dnsmasqHostsFile) {
    const sync = new DnsmasqHostsSync(cfg.dnsmasqHostsFile, cfg.dnsmasqPidFile, log, bootStoreIdentity(redis, cfg.redisPrefix));
    configs.onChange((all) => sync.write(renderHints("dnsmasq", all, hints).hostsFile));
    await configs.changed();
  }
  const acl = new TargetServiceAcl(cfg.targetAddr, clientTlsOf(cfg));
  const binder = new ScriptBinder(store, acl, log, cfg.bindAddress, cfg.armTtlS * 1000);
  const http = new BootHttpServer(configs, binder, new NatsPhaseSink(bus), {
    publicUrl: base, attempts: cfg.sanAttempts, retryDelaySeconds: cfg.sanRetryDelayS, eventsPerSecond: cfg.eventsPerSecond,
    eventBurst: cfg.eventBurst,
  }, log);
  const httpPort = await http.listen(cfg.httpListen);
  const tftp = cfg.tftp ? new TftpServer({ root: cfg.tftpRoot, log }) : undefined;
  const tftpPort = await tftp?.listen(cfg.tftpListen);
  log.info({ http: cfg.httpListen, publicUrl: base, tftp: tftp ? cfg.tftpListen : "off", dnsmasq: cfg.dnsmasqHostsFile || "off",
    bindAddress: cfg.bindAddress }, "boot endpoints up");
  const nodes = new HaasNodeOwners(cfg.haasAddr, clientTlsOf(cfg));
  server.add(BootServiceService, bootHandlers(configs, nodes, { hints, script }), BOOT_ACCESS);
  server.onShutdown(async () => {
    nodes.close();
    await http.close();
    acl.close();
    await tftp?.close();
    await bus.close();
    redis.disconnect();
  });
  return { configs, bus, httpPort, tftpPort };
}
