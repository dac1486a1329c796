import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { silentLogger } from "@bmi/log";
import { connectRedis, deleteKeys, type Redis } from "@bmi/redis";
import { tempDir, uniquePrefix } from "@bmi/testing";
import { BootConfigs } from "../boot-configs";
import { dnsmasqHostLines } from "../dhcp/dnsmasq";
import { sample } from "../testkit/support";
import { bootStoreIdentity, DnsmasqHostsSync } from "./dnsmasq";
import { RedisBootStore } from "./redis-store";

const run = promisify(execFile);

// The managed hosts file is what lets a provisioned node PXE boot: an empty or other boot store (Redis flushed or
// lost, another BMI_REDIS_PREFIX) must not empty it.
describe("dnsmasq hosts file: an empty or other boot store takes no MAC out", () => {
  const dir = tempDir("bmi-dnsmasq-hosts-");
  const hostsFile = path.join(dir, "bmi.hosts");
  const prefix = uniquePrefix("dnsmasq-hosts");
  const other = uniquePrefix("dnsmasq-hosts-other");
  let redis: Redis;

  /** boot-service's configs with the hosts file kept in step, as server.ts wires them. */
  const wire = (p: string) => {
    const configs = new BootConfigs(new RedisBootStore(redis, p), silentLogger());
    const sync = new DnsmasqHostsSync(hostsFile, "", silentLogger(), bootStoreIdentity(redis, p));
    configs.onChange((all) => sync.write(dnsmasqHostLines(all).map((l) => `${l}\n`).join("")));
    return configs;
  };
  const macs = () => readFileSync(hostsFile, "utf8").split("\n").filter(Boolean).map((l) => l.split(",")[0]).sort();
  const node = (n: number) => sample({ node: `n${n}`, macs: [`52:54:00:00:01:0${n}`] });

  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
  });
  after(async () => {
    for (const p of [prefix, other]) await deleteKeys(redis, p);
    redis.disconnect();
  });

  it("follows its store; after a flush new MACs are added and none is dropped; accept-store drops them", async () => {
    const configs = wire(prefix);
    await configs.set(node(1));
    await configs.set(node(2));
    assert.deepEqual(macs(), ["52:54:00:00:01:01", "52:54:00:00:01:02"]);
    assert.equal(readFileSync(`${hostsFile}.store-id`, "utf8").trim(), await bootStoreIdentity(redis, prefix).get());
    await configs.clear("n2");
    assert.deepEqual(macs(), ["52:54:00:00:01:01"], "the store the file follows removes what it no longer wants");
    await configs.set(node(2));

    await deleteKeys(redis, prefix);
    await configs.set(node(3));
    assert.deepEqual(macs(), ["52:54:00:00:01:01", "52:54:00:00:01:02", "52:54:00:00:01:03"]);
    // A restart with another prefix: the start-up sync of an empty store keeps the file too.
    await wire(other).changed();
    assert.deepEqual(macs(), ["52:54:00:00:01:01", "52:54:00:00:01:02", "52:54:00:00:01:03"]);

    const env = { ...process.env, BMI_REDIS_PREFIX: prefix, BMI_BOOT_DNSMASQ_HOSTS_FILE: hostsFile };
    const { stdout } = await run(process.execPath, [path.resolve(__dirname, "..", "admin.js"), "accept-store"], { env });
    assert.match(stdout, /now follows boot store [0-9a-f]{16}: 1 MACs/);
    assert.deepEqual(macs(), ["52:54:00:00:01:03"]);
    await configs.set(node(4));
    await configs.clear("n3");
    assert.deepEqual(macs(), ["52:54:00:00:01:04"], "followed again: changes go through");
  });
});
