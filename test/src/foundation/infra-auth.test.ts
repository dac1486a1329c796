import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { freePort, startService, tempDir, testPki, uniquePrefix, type RunningService } from "@bmi/testing";
import { serviceMain } from "../support/services";

/**
 * Redis and NATS that take credentials and speak TLS, as a production site runs them: a service connects with an
 * ACL user over rediss:// and a NATS user over TLS, each server's certificate from a CA given by file; a wrong
 * password keeps it from starting.
 */
describe("Redis (ACL user, rediss://) and NATS (user, TLS) with credentials", () => {
  const dir = tempDir("bmi-infra-auth-");
  const daemons: ChildProcess[] = [];
  const services: RunningService[] = [];
  const password = "s3cret-redis-pw";
  let redisPort = 0;
  let natsPort = 0;
  const natsPassFile = path.join(dir, "nats.pass");

  const daemon = (cmd: string, args: string[]) => {
    // Dies with the test process (setpriv --pdeathsig), as the project's other test daemons do.
    const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", cmd, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    daemons.push(child);
    return child;
  };
  const waitPort = async (port: number) => {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
        s.on("error", () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nothing listens on ${port}`);
  };

  before(async () => {
    const pki = testPki();
    const redisTls = pki.files("redis");
    const natsTls = pki.files("nats");
    redisPort = await freePort();
    natsPort = await freePort();
    const acl = path.join(dir, "redis.acl");
    writeFileSync(acl, `user default off\nuser bmi on >${password} ~* &* +@all\n`);
    daemon("redis-server", ["--port", "0", "--tls-port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
      "--tls-cert-file", redisTls.cert, "--tls-key-file", redisTls.key, "--tls-ca-cert-file", redisTls.ca, "--tls-auth-clients", "no",
      "--aclfile", acl, "--dir", dir]);
    writeFileSync(natsPassFile, "s3cret-nats-pw\n");
    const natsConf = path.join(dir, "nats.conf");
    writeFileSync(natsConf, `authorization { user: bmi, password: "s3cret-nats-pw" }\n`);
    daemon("nats-server", ["-a", "127.0.0.1", "-p", String(natsPort), "-js", "-sd", path.join(dir, "js"), "-c", natsConf,
      "--tls", "--tlscert", natsTls.cert, "--tlskey", natsTls.key]);
    await Promise.all([waitPort(redisPort), waitPort(natsPort)]);
  });
  after(async () => {
    for (const s of services) await s.stop();
    for (const d of daemons) d.kill("SIGKILL");
  });

  const bootEnv = async (redisPassword: string) => {
    const address = `127.0.0.1:${await freePort()}`;
    return {
      address,
      env: {
        BMI_BOOT_LISTEN: address, BMI_BOOT_HTTP_LISTEN: `127.0.0.1:${await freePort()}`, BMI_BOOT_TFTP: "false",
        BMI_REDIS_URL: `rediss://bmi:${redisPassword}@127.0.0.1:${redisPort}`, BMI_REDIS_TLS_CA: testPki().ca,
        BMI_REDIS_PREFIX: uniquePrefix("infra-auth"), BMI_NATS_URL: `nats://127.0.0.1:${natsPort}`, BMI_NATS_USER: "bmi",
        BMI_NATS_PASSWORD_FILE: natsPassFile, BMI_NATS_TLS_CA: testPki().ca, BMI_LOG_LEVEL: "info",
      },
    };
  };

  it("a service connects to both with its credentials over TLS", async () => {
    const { address, env } = await bootEnv(password);
    const svc = await startService({ service: "boot-service", main: serviceMain("boot-service"), address, env, logDir: dir });
    services.push(svc);
    for (let i = 0; i < 50 && !readFileSync(svc.logFile, "utf8").includes("nats connected"); i++) await new Promise((r) => setTimeout(r, 100));
    const log = readFileSync(svc.logFile, "utf8");
    assert.match(log, /nats connected/);
    assert.ok(!log.includes(password) && !log.includes("s3cret-nats-pw"), "no password in the log");
  });

  it("a wrong Redis password keeps the service from starting, and the log says why without the password", async () => {
    const { address, env } = await bootEnv("wrong-password");
    await assert.rejects(startService({ service: "boot-service", main: serviceMain("boot-service"), address, env, logDir: dir, timeoutMs: 20_000 }), /exited before serving|not SERVING/);
  });
});
