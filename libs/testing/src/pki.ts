import { execFileSync } from "node:child_process";
import path from "node:path";
import { tempDir } from "./temp";

/** TLS file paths, as @bmi/grpc's TlsFiles. */
export interface PkiFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** The CA every test client trusts. */
  ca: string;
  /** The certificate and key of `name` (a service name, or another identity made on demand), with the CA. */
  files(name: string): PkiFiles;
  /** BMI_TLS_* for a service process whose identity is `name`. */
  env(name: string): Record<string, string>;
  /** A certificate named "orchestrator" from another CA: what an attacker would present. */
  foreign: PkiFiles;
}

const SERVICES = ["orchestrator", "image-service", "target-service", "boot-service", "haas-gateway"];
let cached: TestPki | undefined;

/**
 * One CA and a certificate per service for this test process, made by the same script as `stack:up`
 * (deploy/make-pki.sh), so every test runs its services over mutual TLS exactly as operators do.
 */
export function testPki(): TestPki {
  if (cached) return cached;
  const script = path.resolve(__dirname, "..", "..", "..", "deploy", "make-pki.sh");
  const dir = tempDir("bmi-pki-");
  const foreignDir = tempDir("bmi-pki-foreign-");
  execFileSync("bash", [script, dir, ...SERVICES], { stdio: "pipe" });
  execFileSync("bash", [script, foreignDir, "orchestrator"], { stdio: "pipe" });
  const made = new Set(SERVICES);
  const files = (name: string): PkiFiles => {
    if (!made.has(name)) {
      execFileSync("bash", [script, dir, name], { stdio: "pipe" });
      made.add(name);
    }
    return { ca: path.join(dir, "ca.crt"), cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  };
  cached = {
    dir, ca: path.join(dir, "ca.crt"), files,
    env: (name) => {
      const f = files(name);
      return { BMI_TLS: "mutual", BMI_TLS_CA: f.ca, BMI_TLS_CERT: f.cert, BMI_TLS_KEY: f.key };
    },
    foreign: {
      ca: path.join(foreignDir, "ca.crt"), cert: path.join(foreignDir, "orchestrator.crt"),
      key: path.join(foreignDir, "orchestrator.key"),
    },
  };
  return cached;
}

/**
 * TLS settings for a test's client (as @bmi/grpc's TlsFiles): trusting the test CA, like the CLI (no certificate:
 * the caller is whoever its authorization header says), or presenting `identity`'s certificate, like a service.
 */
export function testClientTls(identity?: string): { ca: string; cert?: string; key?: string } {
  const pki = testPki();
  return identity ? pki.files(identity) : { ca: pki.ca };
}
