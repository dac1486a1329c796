#!/usr/bin/env node
// `npm run stack:up|down|status`: the whole BMI stack on this machine as separate processes.
// up: installs missing Debian packages, builds when needed, starts Redis/NATS only where none answers, starts the
// five services (logs and PIDs under .run/stack), waits until each is SERVING. Running it twice is harmless.
// `up --ceph` (or BMI_IMAGE_DRIVER=ceph): images and disks in Ceph, a single-node one unless BMI_IMAGE_CEPH_CONF
// names a cluster (deploy/stack-ceph.js).
// down: stops only what up started (services, then the daemons they own, Ceph, then Redis/NATS if up started them).
// Every service speaks mutual TLS with a certificate from a local CA made here (.run/stack/pki, deploy/make-pki.sh);
// clients trust .run/stack/pki/ca.crt (the CLI: BMI_CA). gRPC listens on BMI_STACK_HOST (default 127.0.0.1): with
// BMI_AUTH=none every caller is an admin, which the services accept on loopback only.
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { stackCeph } = require("./stack-ceph");

const ROOT = path.resolve(__dirname, "..");
const RUN = process.env.BMI_RUN_DIR || path.join(ROOT, ".run", "stack");
const DATA = path.join(RUN, "data");
const PKI = path.join(RUN, "pki");
const CA = path.join(PKI, "ca.crt");
const HOST = process.env.BMI_STACK_HOST || "127.0.0.1";
const ceph = stackCeph({ root: ROOT, run: RUN });

/** The five services in start order, with their default ports and the environment the stack gives them. */
const TGTD_CONTROL_PORT = process.env.BMI_TGTD_CONTROL_PORT || "7";
// image-service and haas-gateway first: target-service asks the one what a disk is, boot-service the other who
// holds a node.
const SERVICES = [
  { name: "image-service", port: 50051, env: { BMI_IMAGE_LISTEN: `${HOST}:50051` } },
  { name: "haas-gateway", port: 50054, env: { BMI_HAAS_LISTEN: `${HOST}:50054` } },
  { name: "target-service", port: 50052, env: { BMI_TARGET_LISTEN: `${HOST}:50052`, BMI_TGTD_CONTROL_PORT: TGTD_CONTROL_PORT,
    BMI_TGTD_LOG_FILE: path.join(RUN, "logs", "tgtd.log") } },
  { name: "boot-service", port: 50053, env: { BMI_BOOT_LISTEN: `${HOST}:50053`, BMI_BOOT_HTTP_LISTEN: "0.0.0.0:8080",
    BMI_BOOT_TARGET_ADDR: `${HOST}:50052` } },
  { name: "orchestrator", port: 50050, env: { BMI_ORCH_LISTEN: `${HOST}:50050` } },
];

/** Each service's certificate (its identity to the others) and the CA every party trusts. */
function tlsEnv(name) {
  return { BMI_TLS: "mutual", BMI_TLS_CA: CA, BMI_TLS_CERT: path.join(PKI, `${name}.crt`), BMI_TLS_KEY: path.join(PKI, `${name}.key`) };
}

/** Credentials of a Redis/NATS that ensure-infra.sh started with passwords (none for ones that already ran). */
function infraEnv() {
  const env = {};
  const redisPass = path.join(RUN, "infra", "redis.pass");
  if (fs.existsSync(redisPass) && alive(readPid(path.join(RUN, "infra", "redis.pid")))) {
    const pass = encodeURIComponent(fs.readFileSync(redisPass, "utf8").trim());
    env.BMI_REDIS_URL = `redis://bmi:${pass}@127.0.0.1:${process.env.BMI_REDIS_PORT || 6379}`;
  }
  const natsPass = path.join(RUN, "infra", "nats.pass");
  if (fs.existsSync(natsPass) && alive(readPid(path.join(RUN, "infra", "nats.pid")))) {
    Object.assign(env, { BMI_NATS_USER: "bmi", BMI_NATS_PASSWORD_FILE: natsPass });
  }
  return env;
}

const pidFile = (name) => path.join(RUN, `${name}.pid`);
const logFile = (name) => path.join(RUN, "logs", `${name}.log`);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const readPid = (file) => { try { return Number(fs.readFileSync(file, "utf8").trim()) || 0; } catch { return 0; } };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status})`);
}

function health() {
  return require(path.join(ROOT, "libs", "testing", "dist", "health.js"));
}

async function status(quiet) {
  const { checkHealth } = health();
  const rows = [];
  for (const s of SERVICES) {
    const pid = readPid(pidFile(s.name));
    let state;
    try { state = await checkHealth(`127.0.0.1:${s.port}`, "", 1000, CA); } catch { state = "DOWN"; }
    rows.push({ service: s.name, address: `127.0.0.1:${s.port}`, pid: pid && alive(pid) ? pid : "-", health: state });
  }
  if (!quiet) {
    console.log("SERVICE          ADDRESS           PID      HEALTH");
    for (const r of rows) console.log(`${r.service.padEnd(16)} ${r.address.padEnd(17)} ${String(r.pid).padEnd(8)} ${r.health}`);
    if (ceph.running()) console.log(`image storage: ${ceph.running()}`);
  }
  return rows;
}

async function up(flags) {
  const wanted = flags.includes("--ceph") || process.env.BMI_IMAGE_DRIVER === "ceph" ? "ceph" : "local";
  fs.mkdirSync(path.join(RUN, "logs"), { recursive: true });
  fs.mkdirSync(DATA, { recursive: true });
  run("bash", ["deploy/install-deps.sh"]);
  if (!fs.existsSync(path.join(ROOT, "node_modules", "@grpc", "grpc-js"))) run("npm", ["ci", "--no-audit", "--no-fund"]);
  if (SERVICES.some((s) => !fs.existsSync(path.join(ROOT, "services", s.name, "dist", "main.js")))) run("npx", ["tsc", "-b"]);
  run("bash", ["deploy/make-pki.sh", PKI]);
  process.env.BMI_INFRA_CREDENTIALS = "1";
  run("bash", ["deploy/ensure-infra.sh", RUN]);
  const infra = infraEnv();
  const imagePid = readPid(pidFile("image-service"));
  if (wanted === "ceph" && imagePid && alive(imagePid) && !ceph.running().startsWith("ceph")) {
    throw new Error(`image-service is already running with ${ceph.running() || "other"} storage: npm run stack:down first, then stack:up -- --ceph`);
  }
  const storage = ceph.prepare(wanted);
  const { waitServing, checkHealth } = health();
  for (const s of SERVICES) {
    const pid = readPid(pidFile(s.name));
    if (pid && alive(pid)) continue;
    try {
      if ((await checkHealth(`127.0.0.1:${s.port}`, "", 500, CA)) === "SERVING") {
        console.log(`${s.name}: something already serves 127.0.0.1:${s.port}; leaving it alone`);
        continue;
      }
    } catch { /* nothing there: start it */ }
    if (s.name === "target-service" && !findTgtd(TGTD_CONTROL_PORT)) fs.writeFileSync(path.join(RUN, "started-tgtd"), "");
    const out = fs.openSync(logFile(s.name), "a");
    const own = s.name === "image-service" ? { ...s.env, ...storage } : s.env;
    const child = spawn(process.execPath, [path.join(ROOT, "services", s.name, "dist", "main.js")], {
      cwd: ROOT, detached: true, stdio: ["ignore", out, out],
      env: { BMI_DATA_DIR: DATA, ...infra, ...tlsEnv(s.name), ...process.env, BMI_RUN_DIR: RUN, ...own },
    });
    if (s.name === "image-service") ceph.started(storage);
    fs.writeFileSync(pidFile(s.name), String(child.pid));
    child.unref();
    console.log(`started ${s.name} (pid ${child.pid}), log ${path.relative(ROOT, logFile(s.name))}`);
  }
  for (const s of SERVICES) {
    const pid = readPid(pidFile(s.name));
    try {
      await waitServing(`127.0.0.1:${s.port}`, 60_000, () => !pid || alive(pid), CA);
    } catch (err) {
      console.error(`${s.name} did not become SERVING: ${err.message}\n--- last lines of its log:`);
      console.error(tail(logFile(s.name), 20));
      process.exitCode = 1;
    }
  }
  await status(false);
  console.log(`clients trust ${path.relative(ROOT, CA)}: export BMI_CA=${CA}  (grpcurl -cacert ${CA} ...)`);
}

/** PID of `tgtd -f -C <port>` (how target-service starts it), from /proc. */
function findTgtd(port) {
  for (const e of fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    let argv;
    try { argv = fs.readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0"); } catch { continue; }
    const c = argv.indexOf("-C");
    if (path.basename(argv[0] || "") === "tgtd" && c > 0 && argv[c + 1] === port) return Number(e);
  }
  return 0;
}

function tail(file, n) {
  try { return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-n).join("\n"); } catch { return "(no log)"; }
}

async function stopPid(file, label, graceMs = 15_000) {
  const pid = readPid(file);
  if (pid && alive(pid)) {
    process.kill(pid, "SIGTERM");
    const until = Date.now() + graceMs;
    while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, "SIGKILL");
    console.log(`stopped ${label} (pid ${pid})`);
  }
  fs.rmSync(file, { force: true });
}

async function down() {
  for (const s of [...SERVICES].reverse()) await stopPid(pidFile(s.name), s.name);
  // target-service leaves its tgtd running on purpose (nodes keep their disks across a service restart); the
  // stack started that service, so it stops that tgtd: targets first, then the daemon (it ignores SIGTERM).
  if (fs.existsSync(path.join(RUN, "started-tgtd"))) {
    const tgtd = findTgtd(TGTD_CONTROL_PORT);
    if (tgtd) {
      spawnSync("tgtadm", ["-C", TGTD_CONTROL_PORT, "--mode", "system", "--op", "delete"], { stdio: "ignore" });
      const until = Date.now() + 5000;
      while (alive(tgtd) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (alive(tgtd)) process.kill(tgtd, "SIGKILL");
      console.log(`stopped tgtd (pid ${tgtd})`);
    }
    fs.rmSync(path.join(RUN, "started-tgtd"), { force: true });
  }
  // Other daemons a service recorded under the run directory.
  const daemons = path.join(RUN, "daemons");
  if (fs.existsSync(daemons)) {
    for (const f of fs.readdirSync(daemons).filter((f) => f.endsWith(".pid"))) await stopPid(path.join(daemons, f), f.replace(/\.pid$/, ""), 5000);
  }
  // After image-service and tgtd, which hold connections to it.
  ceph.stop();
  const redisPid = path.join(RUN, "infra", "redis.pid");
  if (fs.existsSync(redisPid)) await stopPid(redisPid, "redis");
  const natsPid = path.join(RUN, "infra", "nats.pid");
  if (fs.existsSync(natsPid)) await stopPid(natsPid, "nats");
}

const [cmd, ...flags] = process.argv.slice(2);
const actions = { up, down, status: async () => { const rows = await status(false); if (rows.some((r) => r.health !== "SERVING")) process.exitCode = 3; } };
if (!actions[cmd] || flags.some((f) => !(cmd === "up" && f === "--ceph"))) {
  console.error("usage: stack.js up [--ceph] | down | status");
  process.exit(2);
}
actions[cmd](flags).catch((err) => { console.error(err.message); process.exit(1); });
