import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, loadConfig, natsSpec, redisSpec } from "@bmi/config";
import { EventBus, StreamRefusedError } from "@bmi/events";
import { silentLogger } from "@bmi/log";
import { connectRedis, redisLocation, type Redis } from "@bmi/redis";
import {
  freePort, startRedisSentinel, startService, tempDir, uniquePrefix, type RunningService, type TestSentinelSet,
} from "@bmi/testing";
import { connect } from "nats";
import { serviceMain } from "../support/services";

/**
 * A site's HA Redis (Sentinel) and NATS cluster (stream replicas) through settings alone: BMI_REDIS_SENTINELS and
 * BMI_NATS_REPLICAS reach the connections and streams without code of the site's own.
 */
describe("Redis through Sentinel (BMI_REDIS_SENTINELS)", () => {
  const dir = tempDir("bmi-sentinel-");
  let set: TestSentinelSet;
  let redis: Redis | undefined;
  const services: RunningService[] = [];
  // Nothing listens on port 1: the master can only be found through the Sentinel.
  const env = () => ({ BMI_REDIS_URL: "redis://127.0.0.1:1", BMI_REDIS_SENTINELS: `127.0.0.1:${set.sentinel}`, BMI_REDIS_SENTINEL_MASTER: set.master });

  before(async () => { set = await startRedisSentinel(dir); });
  after(async () => {
    redis?.disconnect();
    for (const s of services) await s.stop();
    set?.stop();
  });

  it("finds the master through the Sentinel and follows it across a failover", async () => {
    const cfg = loadConfig(redisSpec, env());
    redis = await connectRedis(redisLocation(cfg), silentLogger(), { timeoutMs: 10_000 });
    const first = await set.masterPort();
    await redis.set("ha:before", "1");
    assert.equal((await set.cli(first, ["get", "ha:before"])).trim(), "1", "written on the master the Sentinel names");

    const second = await set.failover();
    assert.notEqual(second, first);
    // The same client, no reconnect by hand: writes go to the new master (a replica would answer READONLY).
    await redis.set("ha:after", "2");
    assert.equal((await set.cli(second, ["get", "ha:after"])).trim(), "2");
    assert.match(await set.cli(first, ["role"]), /^slave/);
  });

  it("a service starts on a Sentinel-named master with nothing but settings", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const prefix = uniquePrefix("sentinel");
    const svc = await startService({
      service: "boot-service", main: serviceMain("boot-service"), address, logDir: dir,
      env: { ...env(), BMI_BOOT_LISTEN: address, BMI_BOOT_HTTP_LISTEN: `127.0.0.1:${await freePort()}`, BMI_BOOT_TFTP: "false", BMI_REDIS_PREFIX: prefix },
    });
    services.push(svc);
    // Its connection (named after the service) is on the master the Sentinel names now.
    assert.match(await set.cli(await set.masterPort(), ["client", "list"]), /name=boot-service /);
  });

  it("refuses Sentinel addresses that are not host:port, with the setting's name", () => {
    assert.throws(() => loadConfig(redisSpec, { BMI_REDIS_SENTINELS: "127.0.0.1:26379,sentinel-b" }),
      (err: unknown) => err instanceof ConfigError && /BMI_REDIS_SENTINELS: sentinel-b is not host:port/.test(err.message));
  });
});

describe("JetStream stream replicas (BMI_NATS_REPLICAS)", () => {
  const dir = tempDir("bmi-nats-replicas-");
  let redis: Redis;
  let nats: ChildProcess | undefined;
  let url = "";
  const services: RunningService[] = [];
  // BMI's streams own the subjects bmi.>: each test makes its streams on a single nats-server of its own.
  const streamName = (tag: string) => `BMITEST_${tag}`;
  const bus = (stream: string, replicas: number) => new EventBus({
    servers: [url], stream, redis, outboxKey: `${uniquePrefix("replicas")}outbox`, log: silentLogger(),
    security: { ...loadConfig(natsSpec, { BMI_NATS_REPLICAS: String(replicas) }) },
  });

  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    nats = spawn("setpriv", ["--pdeathsig", "KILL", "--", "nats-server", "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", path.join(dir, "js")],
      { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      const nc = await connect({ servers: url }).catch(() => undefined);
      if (nc) { await nc.close(); break; }
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    for (const s of services) await s.stop();
    nats?.kill("SIGKILL");
    redis?.disconnect();
  });

  it("reaches the stream's configuration (1 on this single server)", async () => {
    const stream = streamName("r1");
    const b = bus(stream, 1);
    b.start();
    try {
      const nc = await b.ready(10_000);
      const jsm = await nc.jetstreamManager();
      assert.equal((await jsm.streams.info(stream)).config.num_replicas, 1);
      await jsm.streams.delete(stream); // its subjects are free for the next test's stream
    } finally {
      await b.close();
    }
  });

  it("more replicas than a single nats-server can hold: ready() fails at once with an error naming the setting", async () => {
    const b = bus(streamName("r3"), 3);
    b.start();
    try {
      const t0 = Date.now();
      await assert.rejects(b.ready(10_000), (err: unknown) => err instanceof StreamRefusedError &&
        /BMI_NATS_REPLICAS=3 needs a JetStream cluster of at least 3 servers/.test(err.message) && /\[\d+\]/.test(err.message));
      assert.ok(Date.now() - t0 < 5000, "refused, not timed out");
    } finally {
      await b.close();
    }
  });

  it("a service started with BMI_NATS_REPLICAS=3 against one nats-server logs the refusal as an error at start-up", async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const stream = streamName("svc");
    const svc = await startService({
      service: "boot-service", main: serviceMain("boot-service"), address, logDir: dir,
      env: {
        BMI_BOOT_LISTEN: address, BMI_BOOT_HTTP_LISTEN: `127.0.0.1:${await freePort()}`, BMI_BOOT_TFTP: "false",
        BMI_REDIS_PREFIX: uniquePrefix("replicas-svc"), BMI_NATS_URL: url, BMI_NATS_STREAM: stream, BMI_NATS_REPLICAS: "3",
      },
    });
    services.push(svc);
    let log = "";
    for (let i = 0; i < 100 && !/events stream refused/.test(log); i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = readFileSync(svc.logFile, "utf8");
    }
    const line = log.split("\n").find((l) => l.includes("events stream refused")) ?? "";
    assert.match(line, /"level":"error"/);
    assert.match(line, new RegExp(`JetStream refused stream ${stream}: .*BMI_NATS_REPLICAS=3`));
  });

  it("refuses a replica count JetStream does not allow (1 to 5)", () => {
    for (const bad of ["0", "6"]) {
      assert.throws(() => loadConfig(natsSpec, { BMI_NATS_REPLICAS: bad }), /BMI_NATS_REPLICAS/);
    }
  });
});

describe("JetStream stream replicas on a cluster of three nats-servers", () => {
  const dir = tempDir("bmi-nats-cluster-");
  const servers: ChildProcess[] = [];
  let redis: Redis;
  const urls: string[] = [];

  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    const client = [await freePort(), await freePort(), await freePort()];
    const route = [await freePort(), await freePort(), await freePort()];
    for (let i = 0; i < 3; i++) {
      const store = path.join(dir, `n${i}`);
      mkdirSync(store);
      const conf = path.join(dir, `n${i}.conf`);
      writeFileSync(conf, [
        `server_name: n${i}`, `listen: 127.0.0.1:${client[i]}`, `jetstream { store_dir: "${store}" }`,
        `cluster { name: bmitest, listen: 127.0.0.1:${route[i]}, routes: [${route.map((p) => `nats-route://127.0.0.1:${p}`).join(", ")}] }`, "",
      ].join("\n"));
      servers.push(spawn("setpriv", ["--pdeathsig", "KILL", "--", "nats-server", "-c", conf], { stdio: "ignore" }));
      urls.push(`nats://127.0.0.1:${client[i]}`);
    }
  });
  after(() => {
    for (const s of servers) s.kill("SIGKILL");
    redis?.disconnect();
  });

  it("BMI_NATS_REPLICAS=3 makes the events stream with three replicas, no code of the site's own", async () => {
    const b = new EventBus({
      servers: urls, stream: "BMITEST_R3", redis, outboxKey: `${uniquePrefix("cluster")}outbox`, log: silentLogger(),
      security: { ...loadConfig(natsSpec, { BMI_NATS_REPLICAS: "3" }) },
    });
    b.start();
    try {
      // The cluster elects its JetStream leader a few seconds after start; until then the bus retries.
      const nc = await b.ready(60_000);
      const info = await (await nc.jetstreamManager()).streams.info("BMITEST_R3");
      assert.equal(info.config.num_replicas, 3);
      assert.equal((info.cluster?.replicas ?? []).length, 2, "a leader and two replicas");
    } finally {
      await b.close();
    }
  });
});
