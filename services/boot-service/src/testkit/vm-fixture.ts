import path from "node:path";
import { EventBus } from "@bmi/events";
import { createClient, type PromiseClient } from "@bmi/grpc";
import { silentLogger } from "@bmi/log";
import { BootServiceClient } from "@bmi/proto/bmi/boot/v1/boot";
import { HaasGatewayClient } from "@bmi/proto/bmi/haas/v1/haas";
import { BootPhaseEvent } from "@bmi/proto/bmi/events/v1/events";
import { connectRedis, type Redis } from "@bmi/redis";
import { REPO_ROOT, freePort, startService, testClientTls, uniquePrefix, type RunningService } from "@bmi/testing";
import { tempDir } from "@bmi/testing";

/** The built program of a BMI service in this checkout (@bmi/testing's startService never looks it up itself). */
const serviceMain = (service: string) => path.join(REPO_ROOT, "services", service, "dist", "main.js");

/**
 * Test support (not a test): boot-service as a process with its gRPC client, the haas-gateway (standalone) it asks
 * who holds a node, and every BootPhaseEvent it publishes on NATS, for the VM tests. `close()` stops all of it and
 * removes the test's Redis keys. `client` calls as the orchestrator does (its certificate); `env` decides the auth.
 */
export class BootServiceFixture {
  readonly dir = tempDir("bmi-boot-");
  readonly prefix = uniquePrefix("boot");
  readonly events: BootPhaseEvent[] = [];
  svc!: RunningService;
  haasSvc!: RunningService;
  client!: PromiseClient<BootServiceClient>;
  haas!: PromiseClient<HaasGatewayClient>;
  httpPort = 0;
  tftpPort = 0;
  private env: Record<string, string> = {};
  private redis!: Redis;
  private bus!: EventBus;
  private sub: ReturnType<Awaited<ReturnType<EventBus["ready"]>>["subscribe"]> | undefined;

  /** `env` adds to (or overrides) the fixture's own settings. */
  async start(env: (f: BootServiceFixture) => Record<string, string> = () => ({})): Promise<void> {
    this.httpPort = await freePort();
    this.tftpPort = await freePort();
    const address = `127.0.0.1:${await freePort()}`;
    const haasAddr = `127.0.0.1:${await freePort()}`;
    this.haasSvc = await startService({ service: "haas-gateway", main: serviceMain("haas-gateway"), address: haasAddr, logDir: this.dir, env: {
      BMI_HAAS_LISTEN: haasAddr, BMI_HAAS_DRIVER: "standalone", BMI_REDIS_PREFIX: this.prefix, BMI_AUTH: "none",
    } });
    this.haas = createClient(HaasGatewayClient, haasAddr, { deadlineMs: 10_000, tls: testClientTls() });
    this.env = {
      // No target-service here: a port nobody listens on, so a script's bind is refused at once (and logged).
      BMI_BOOT_HAAS_ADDR: haasAddr, BMI_BOOT_TARGET_ADDR: `127.0.0.1:${await freePort()}`,
      BMI_BOOT_LISTEN: address, BMI_BOOT_HTTP_LISTEN: `0.0.0.0:${this.httpPort}`, BMI_BOOT_TFTP_LISTEN: `127.0.0.1:${this.tftpPort}`,
      BMI_REDIS_PREFIX: this.prefix, BMI_BOOT_PUBLIC_URL: `http://10.0.2.2:${this.httpPort}`, ...env(this),
    };
    this.redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    this.bus = new EventBus({ servers: ["nats://127.0.0.1:4222"], redis: this.redis, outboxKey: `${this.prefix}test-outbox`, log: silentLogger() });
    this.bus.start();
    const nc = await this.bus.ready();
    this.sub = nc.subscribe("bmi.boot.*.phase", { callback: (err, msg) => { if (!err) this.events.push(BootPhaseEvent.decode(msg.data)); } });
    await this.restart();
  }

  /** (Re)starts the service process with the same settings. */
  async restart(): Promise<void> {
    this.client?.close();
    await this.svc?.stop();
    const address = this.env["BMI_BOOT_LISTEN"] ?? "";
    this.svc = await startService({ service: "boot-service", main: serviceMain("boot-service"), address, env: this.env, logDir: this.dir });
    this.client = createClient(BootServiceClient, address, { deadlineMs: 10_000, tls: testClientTls("orchestrator") });
  }

  /** Registers a node with these MACs in haas-gateway and gives it to `project`: what a boot config may bind. */
  async node(name: string, project: string, macs: string[]): Promise<void> {
    await this.haas.registerNode({
      name, nics: macs.map((mac, i) => ({ label: `eth${i}`, mac, networks: {} })), power: undefined, metadata: {},
    });
    await this.haas.allocateNode({ project, node: name });
  }

  /** Resolves with the first event matching `pred`, or throws after `timeoutMs`. */
  async event(pred: (e: BootPhaseEvent) => boolean, timeoutMs = 10_000): Promise<BootPhaseEvent> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const e = this.events.find(pred);
      if (e) return e;
      if (Date.now() > until) throw new Error(`no such boot phase event; saw ${JSON.stringify(this.events.map((x) => [x.node, x.phase, x.attempt]))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    this.client?.close();
    this.haas?.close();
    await this.svc?.stop();
    await this.haasSvc?.stop();
    this.sub?.unsubscribe();
    await this.bus?.close();
    const keys = await this.redis.keys(`${this.prefix}*`);
    if (keys.length > 0) await this.redis.del(...keys);
    this.redis.disconnect();
  }
}
