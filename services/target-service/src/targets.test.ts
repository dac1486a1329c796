import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, silentLogger } from "@bmi/log";
import { until } from "@bmi/async";
import { connectRedis, type Redis } from "@bmi/redis";
import {
  buildBootDisk, freeControlPort, freePort, holdIscsiSession, iscsiInquiry, stopTgtd, uniquePrefix,
} from "@bmi/testing";
import { RedisTargetStore } from "./drivers/redis-store";
import { TgtDriver } from "./drivers/tgt";
import { Reconciler } from "./reconciler";
import { Gate } from "./gate";
import { storeMarkerId } from "./naming";
import { TargetManager, type TargetView } from "./targets";
import { tempDir } from "@bmi/testing";

const authority = { date: "2026-01", domain: "org.example.test" };
const node1 = "iqn.2026-01.org.example.test:node1";

/** One "service instance": its own driver, manager and reconciler over the shared Redis prefix and tgtd port. */
function instance(redis: Redis, prefix: string, controlPort: number, portal: string) {
  const log = process.env["BMI_TEST_DEBUG"] ? createLogger({ name: "t", level: "debug" }) : silentLogger();
  const store = new RedisTargetStore(redis, prefix);
  const gate = new Gate();
  let reconciler: Reconciler | undefined;
  const driver = new TgtDriver({ controlPort, portals: [portal], ioThreads: 2, log, onDaemonExit: () => void reconciler?.kick() });
  reconciler = new Reconciler(store, driver, authority, gate, log, 200);
  const targets = new TargetManager(store, driver, authority, [portal], gate, log);
  return { driver, reconciler, targets };
}

describe("targets: Redis-backed wanted state, reconciled into a real tgtd", () => {
  const dir = tempDir("bmi-targets-");
  const controlPort = freeControlPort();
  const prefix = uniquePrefix("target");
  let redis: Redis;
  let portal: string;
  let disk: string;
  let svc: ReturnType<typeof instance>;
  const pids = new Set<number>();

  before(async () => {
    redis = await connectRedis("redis://127.0.0.1:6379", silentLogger());
    portal = `127.0.0.1:${await freePort()}`;
    disk = await buildBootDisk({ dir, marker: "TARGETS" });
    svc = instance(redis, prefix, controlPort, portal);
    await svc.reconciler.kick();
    if (svc.driver.daemon.pid) pids.add(svc.driver.daemon.pid);
  });
  after(async () => {
    svc.reconciler.stop();
    svc.driver.close();
    for (const pid of pids) await stopTgtd(controlPort, pid);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const create = (diskName: string, initiatorIqn = node1) =>
    svc.targets.create({ project: "proj1", disk: diskName, backing: { kind: "file", path: disk }, initiatorIqn });
  const canLogin = async (v: TargetView) =>
    (await iscsiInquiry({ portal, iqn: v.spec.iqn, initiator: v.spec.initiatorIqn, chap: { user: v.spec.chapUser, secret: v.spec.chapSecret } })).ok;

  it("a retried create makes whole a target its first attempt left half-made in tgtd, without waiting for a reconcile pass", async () => {
    const first = (await create("half")).view.spec;
    // What target-service killed right after `tgtadm --op new` leaves in tgtd: the target, without LUN, ACL or account.
    await svc.driver.remove(first.tid);
    await svc.driver.deleteAccount(first.chapUser);
    await svc.driver.adm.run(["--mode", "target", "--op", "new", "--tid", String(first.tid), "--targetname", first.iqn]);
    const again = await create("half");
    assert.equal(again.view.active, true);
    assert.equal(await canLogin(again.view), true);
    const [live] = (await svc.driver.list()).filter((t) => t.iqn === first.iqn);
    assert.deepEqual([live?.lun1?.path, live?.initiators, live?.accounts], [disk, [node1], [first.chapUser]]);
    await svc.targets.delete("proj1", "half");
  });

  it("creates a target with a real IQN, LUN 1 and its own CHAP secret; a repeated create rotates the secret", async () => {
    const a = await create("disk1");
    assert.equal(a.created, true);
    assert.equal(a.view.spec.iqn, "iqn.2026-01.org.example.test:proj1.disk1");
    assert.match(a.view.spec.chapSecret, /^[A-Za-z0-9_-]{24}$/);
    assert.equal(a.view.active, true);
    assert.equal(await canLogin(a.view), true);
    // A provision of the same disk again: same target, a secret nobody had, the old one refused by tgtd.
    const b = await create("disk1");
    assert.equal(b.created, false);
    assert.deepEqual({ ...b.view.spec, chapSecret: "" }, { ...a.view.spec, chapSecret: "" });
    assert.notEqual(b.view.spec.chapSecret, a.view.spec.chapSecret);
    assert.equal((await svc.targets.get("proj1", "disk1")).spec.chapSecret, b.view.spec.chapSecret);
    assert.equal(await canLogin(a.view), false);
    assert.equal(await canLogin(b.view), true);
    assert.notEqual((await create("disk2")).view.spec.chapSecret, b.view.spec.chapSecret);
  });

  it("binds the ACL to the address the node booted from: logins from any other address are refused", async () => {
    const v = (await create("disk5")).view;
    const iqn = v.spec.iqn;
    // This host logs in from 127.0.0.1; the node, for tgtd, is 127.0.0.2.
    assert.equal(await svc.targets.bindAddress("proj1", iqn, "127.0.0.2"), true);
    const bound = await svc.targets.get("proj1", "disk5");
    assert.equal(bound.spec.initiatorAddress, "127.0.0.2");
    assert.equal(bound.active, true);
    assert.deepEqual((await svc.driver.list()).find((t) => t.tid === v.spec.tid)?.initiators, ["127.0.0.2"]);
    const refused = await iscsiInquiry({ portal, iqn, initiator: node1, chap: { user: v.spec.chapUser, secret: v.spec.chapSecret } });
    assert.equal(refused.ok, false);
    assert.match(refused.output, /Target not found/);
    // The reconciler leaves a bound target as it is, and the node's address logs in.
    assert.equal((await svc.reconciler.kick()).removed, 0);
    assert.equal(await svc.targets.bindAddress("proj1", iqn, "::ffff:127.0.0.1"), true);
    assert.equal(await canLogin(v), true);
    assert.deepEqual((await svc.driver.list()).find((t) => t.tid === v.spec.tid)?.initiators, ["127.0.0.1"]);
    // Back to the initiator name; another project's or an unknown IQN is not found; not an address is invalid.
    assert.equal(await svc.targets.bindAddress("proj1", iqn, ""), true);
    assert.deepEqual((await svc.driver.list()).find((t) => t.tid === v.spec.tid)?.initiators, [node1]);
    await assert.rejects(svc.targets.bindAddress("proj2", iqn, "127.0.0.2"), { code: "NOT_FOUND" });
    await assert.rejects(svc.targets.bindAddress("proj1", `${iqn}x`, "127.0.0.2"), { code: "NOT_FOUND" });
    await assert.rejects(svc.targets.bindAddress("proj1", iqn, "10.0.0.1,initiator-name=x"), { code: "INVALID_ARGUMENT" });
    await svc.targets.delete("proj1", "disk5");
  });

  it("with mutual CHAP each target has an outgoing account too, rotated with the initiator's", async () => {
    const store = new RedisTargetStore(redis, prefix);
    store.follow(await store.claimIdentity()); // the store tgtd follows (its reconciler is svc's)
    const mutual = new TargetManager(store, svc.driver, authority, [portal], new Gate(), silentLogger(), { mutualChap: true });
    const a = await mutual.create({ project: "proj1", disk: "disk6", backing: { kind: "file", path: disk }, initiatorIqn: node1 });
    assert.equal(a.view.spec.reverse?.user, `${a.view.spec.chapUser}-t`);
    assert.match(a.view.spec.reverse?.secret ?? "", /^[A-Za-z0-9_-]{24}$/);
    const live = () => svc.driver.list().then((all) => all.find((t) => t.tid === a.view.spec.tid));
    assert.deepEqual((await live())?.outgoing, [a.view.spec.reverse?.user]);
    assert.equal((await mutual.get("proj1", "disk6")).active, true);
    const b = await mutual.create({ project: "proj1", disk: "disk6", backing: { kind: "file", path: disk }, initiatorIqn: node1 });
    assert.notEqual(b.view.spec.reverse?.secret, a.view.spec.reverse?.secret);
    assert.equal(await canLogin(b.view), true);
    // Turned off again: the next create drops the outgoing account.
    const c = await create("disk6");
    assert.equal(c.view.spec.reverse, undefined);
    assert.deepEqual((await live())?.outgoing ?? [], []);
    assert.ok(!(await svc.driver.accounts()).includes(a.view.spec.reverse?.user ?? ""));
    await svc.targets.delete("proj1", "disk6");
  });

  it("refuses a second create with another initiator, bad names and a missing backing", async () => {
    await assert.rejects(create("disk1", "iqn.2026-01.org.example.test:node2"), { code: "ALREADY_EXISTS" });
    await assert.rejects(create("Disk!"), { code: "INVALID_ARGUMENT" });
    const named = (project: string, diskName: string) =>
      svc.targets.create({ project, disk: diskName, backing: { kind: "file", path: disk }, initiatorIqn: node1 });
    await named("a.b", "c");
    await assert.rejects(named("a", "b.c"), { code: "ALREADY_EXISTS", message: /IQN .*:a\.b\.c is already used by a\.b\/c/ });
    await svc.targets.delete("a.b", "c");
    await named("a", "b.c");
    await svc.targets.delete("a", "b.c");
    await assert.rejects(create("disk3", "not-an-iqn"), { code: "INVALID_ARGUMENT" });
    // A backing file that is not there is an export being set up again (UNAVAILABLE: retry), and nothing is kept.
    await assert.rejects(svc.targets.create({ project: "proj1", disk: "disk4", backing: { kind: "file", path: "/nonexistent/x.raw" }, initiatorIqn: node1 }),
      { code: "UNAVAILABLE" });
    await assert.rejects(svc.targets.get("proj1", "disk4"), { code: "NOT_FOUND" });
  });

  it("brings every target back within seconds after tgtd is killed", async () => {
    const before = await svc.targets.list();
    const pid = svc.driver.daemon.pid ?? 0;
    process.kill(pid, "SIGKILL");
    const killed = Date.now();
    await waitFor(async () => (await svc.targets.list()).every((v) => v.active) && svc.driver.daemon.pid !== pid, 10_000);
    const ms = Date.now() - killed;
    if (svc.driver.daemon.pid) pids.add(svc.driver.daemon.pid);
    assert.ok(ms < 5000, `took ${ms} ms`);
    for (const v of before) assert.equal(await canLogin(v), true, `${v.spec.iqn} takes its old secret`);
    console.log(`# tgtd killed: ${before.length} targets back in ${ms} ms`);
  });

  it("removes targets of our IQN authority nobody wants and stale CHAP accounts, and leaves foreign ones", async () => {
    const adm = (args: string[]) => svc.driver.adm.run(args);
    await adm(["--mode", "target", "--op", "new", "--tid", "900", "--targetname", "iqn.2026-01.org.example.test:ghost.x"]);
    await adm(["--mode", "target", "--op", "new", "--tid", "901", "--targetname", "iqn.2020-01.com.other:keep"]);
    await adm(["--mode", "account", "--op", "new", "--user", "bmi-00000000000000000000", "--password", "stale-stale-stale"]);
    const r = await svc.reconciler.kick();
    assert.equal(r.removed, 1);
    const live = (await svc.driver.list()).map((t) => t.iqn);
    assert.ok(!live.includes("iqn.2026-01.org.example.test:ghost.x"));
    assert.ok(live.includes("iqn.2020-01.com.other:keep"));
    assert.ok(!(await svc.driver.accounts()).includes("bmi-00000000000000000000"));
    await adm(["--mode", "target", "--op", "delete", "--tid", "901"]);
  });

  it("a restarted service re-applies the same targets to a fresh tgtd", async () => {
    const wanted = await svc.targets.list();
    svc.reconciler.stop();
    svc.driver.close();
    await stopTgtd(controlPort, svc.driver.daemon.pid ?? 0);
    svc = instance(redis, prefix, controlPort, portal);
    await svc.reconciler.kick();
    if (svc.driver.daemon.pid) pids.add(svc.driver.daemon.pid);
    const again = await svc.targets.list();
    assert.deepEqual(again.map((v) => v.spec), wanted.map((v) => v.spec));
    assert.ok(again.every((v) => v.active));
    for (const v of again) assert.equal(await canLogin(v), true);
  });

  it("a flood of reads shares tgtd listings instead of one each, and a change is seen at once", async () => {
    const list = svc.driver.list.bind(svc.driver);
    let listings = 0;
    svc.driver.list = async () => { listings++; return list(); };
    try {
      const views = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? svc.targets.get("proj1", "disk1") : svc.targets.list())));
      assert.ok(listings <= 2, `${listings} listings for 200 reads`);
      // Every read still answers from a real listing: disk1 is in tgtd, so each answer says it is active.
      const disk1 = views.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v.spec.disk === "disk1");
      assert.equal(disk1.length, 200);
      assert.ok(disk1.every((v) => v.active), "a shared listing still shows the target active");
      await create("disk-flood");
      assert.equal((await svc.targets.get("proj1", "disk-flood")).active, true, "a read after a change sees it");
      await svc.targets.delete("proj1", "disk-flood");
    } finally {
      svc.driver.list = list;
    }
  });

  it("a bulk of deletes leaves its CHAP accounts until it is over, and never the account of a disk created again meanwhile", async () => {
    const names = ["bulk1", "bulk2", "bulk3", "bulk4"];
    const made = [];
    for (const n of names) made.push((await create(n)).view.spec);
    const users = new Set(made.map((s) => s.chapUser));
    // Four deletes at once, then bulk1 made again behind its own delete: the sweep must leave its new account alone.
    const [, again] = await Promise.all([Promise.all(names.map((n) => svc.targets.delete("proj1", n))), create("bulk1")]);
    assert.ok(svc.targets.accounts.pending > 0, "the deletes had company: their accounts wait for the sweep");
    await waitFor(async () => (await svc.driver.accounts()).filter((a) => users.has(a)).length === 1, 10_000);
    assert.deepEqual((await svc.driver.accounts()).filter((a) => users.has(a)), [again.view.spec.chapUser]);
    assert.equal(svc.targets.accounts.pending, 0);
    const live = await svc.targets.get("proj1", "bulk1");
    assert.equal(live.active, true);
    assert.equal(await canLogin(live), true, "the re-created target's CHAP login works after the sweep");
    await svc.targets.delete("proj1", "bulk1");
    assert.equal((await svc.driver.accounts()).includes(again.view.spec.chapUser), false, "a delete alone drops its account at once");
  });

  it("deletes a target with a live session by force and says so", async () => {
    const v = await svc.targets.get("proj1", "disk1");
    const held = await holdIscsiSession({ portal, iqn: v.spec.iqn, initiator: node1, chap: { user: v.spec.chapUser, secret: v.spec.chapSecret } });
    try {
      await waitFor(async () => (await svc.targets.get("proj1", "disk1")).sessions === 1, 10_000);
      assert.deepEqual(await svc.targets.delete("proj1", "disk1"), { forced: true, sessionsClosed: 1 });
    } finally {
      await held.close();
    }
    assert.deepEqual(await svc.targets.delete("proj1", "disk2"), { forced: false, sessionsClosed: 0 });
    await assert.rejects(svc.targets.get("proj1", "disk1"), { code: "NOT_FOUND" });
    // Only the store marker stays: it says which store tgtd's (now no) targets came from.
    assert.deepEqual((await svc.driver.list()).map((t) => storeMarkerId(authority, t.iqn) !== undefined), [true]);
    assert.deepEqual(await svc.driver.accounts(), []);
  });
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await until("the condition", () => cond().catch(() => false), timeoutMs, 25);
}
