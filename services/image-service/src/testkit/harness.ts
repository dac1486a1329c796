import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type * as grpc from "@grpc/grpc-js";
import { createClient, fromServiceError, staticAuth, type PromiseClient } from "@bmi/grpc";
import { silentLogger, type Logger } from "@bmi/log";
import { ImageServiceClient, UploadHeader as UploadHeaderMsg, type Disk, type Image, type UploadHeader } from "@bmi/proto/bmi/image/v1/image";
import type { IntakeLimits } from "../intake";
import { createImageServer, type ImageServer } from "../server";
import type { StorageDriver } from "../storage";
import { tempDir, testClientTls, testPki } from "@bmi/testing";

export const run = promisify(execFile);

/** One storage back end under test: how to make its driver, reach a disk's bytes, and find leftovers. */
export interface Backend {
  name: "local" | "ceph";
  /** A driver on this back end's storage (the same storage every time: restarts keep it). */
  driver(log: Logger): StorageDriver;
  /** Environment for a separately started image-service on the same storage. */
  env: Record<string, string>;
  /** qemu-io arguments that open a disk's bytes as target-service would. */
  ioTarget(disk: Disk): string[];
  /** Temporaries left by interrupted or failed operations; empty when all is clean. */
  leftovers(): Promise<string[]>;
}

const USERS = `users:
  - {name: alice, token: alice-token, projects: [pa]}
  - {name: bob, token: bob-token, projects: [pb]}
  - {name: root, token: root-token, admin: true}
`;
export const AS = { alice: "Bearer alice-token", bob: "Bearer bob-token", admin: "Bearer root-token" };

/** An image-service in this process on a real back end, with a client, served through real gRPC. */
export class Harness {
  client!: PromiseClient<ImageServiceClient>;
  service!: ImageServer;
  private readonly usersFile: string;

  constructor(readonly backend: Backend, private readonly intake?: IntakeLimits) {
    const dir = tempDir("bmi-image-auth-");
    this.usersFile = path.join(dir, "users.yaml");
    writeFileSync(this.usersFile, USERS);
  }

  async start(): Promise<void> {
    this.service = await createImageServer({
      driver: this.backend.driver(silentLogger()), log: silentLogger(), auth: staticAuth(this.usersFile), shutdownGraceMs: 2000,
      transport: { tls: true, files: testPki().files("image-service") },
      ...(this.intake ? { intake: this.intake } : {}),
    });
    const port = await this.service.server.listen("127.0.0.1:0");
    // The orchestrator's certificate, as in production: disks and snapshots are internal RPCs it makes for a
    // member, named by the member's own authorization header in these tests. Members' direct calls are refused
    // (test/src/security/access.test.ts).
    this.client = createClient(ImageServiceClient, `127.0.0.1:${port}`, { deadlineMs: 120_000, tls: testClientTls("orchestrator") });
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.service?.server.shutdown();
  }

  upload(authorization: string, header: Partial<UploadHeader>, data: Buffer, opts: UploadOptions = {}): Promise<Image> {
    return upload(this.client, authorization, header, data, opts);
  }

  download(authorization: string, project: string, name: string): Promise<Downloaded> {
    return download(this.client, authorization, project, name);
  }

  /** Runs one qemu-io command on a disk's bytes, as target-service would open them. */
  async diskIo(disk: Disk, command: string): Promise<string> {
    return (await run("qemu-io", ["-c", command, ...this.backend.ioTarget(disk)])).stdout;
  }
}

export interface UploadOptions {
  /** Cancel the call after this many chunks: a broken stream. */
  cancelAfter?: number;
  /** Before cancelling, wait until this holds (say, the server has started writing). */
  cancelWhen?: () => Promise<boolean>;
  /** Announce this checksum instead of the right one. */
  checksum?: string;
}

export interface Downloaded {
  sizeBytes: number;
  checksum: string;
  data: Buffer;
}

/** Client-streams `data` in 1 MiB chunks after the header. */
export function upload(
  client: PromiseClient<ImageServiceClient>, authorization: string, header: Partial<UploadHeader>, data: Buffer, opts: UploadOptions = {},
): Promise<Image> {
  const full: Partial<UploadHeader> = { sizeBytes: data.length, checksum: opts.checksum ?? sha256(data), ...header };
  return new Promise<Image>((resolve, reject) => {
    const call = client.raw.uploadImage(client.metadata({ authorization }), client.callOptions(),
      (err: grpc.ServiceError | null, res) => (err ? reject(fromServiceError(err, "image-service")) : resolve(res!.image!)));
    void (async () => {
      call.write({ header: UploadHeaderMsg.fromPartial(full) });
      for (let off = 0, n = 0; off < data.length; off += 1 << 20, n++) {
        if (opts.cancelAfter === n) {
          while (opts.cancelWhen && !(await opts.cancelWhen())) await new Promise((r) => setTimeout(r, 10));
          return call.cancel();
        }
        if (!call.write({ chunk: data.subarray(off, off + (1 << 20)) })) await new Promise((r) => call.once("drain", r));
      }
      call.end();
    })();
  });
}

export async function download(client: PromiseClient<ImageServiceClient>, authorization: string, project: string, name: string): Promise<Downloaded> {
  const stream = client.raw.downloadImage({ project, name }, client.metadata({ authorization }), client.callOptions());
  const parts: Buffer[] = [];
  let header: { sizeBytes: number; checksum: string } | undefined;
  try {
    for await (const msg of stream as AsyncIterable<{ header?: { sizeBytes: number; checksum: string }; chunk?: Buffer }>) {
      if (msg.header) header = msg.header;
      else if (msg.chunk) parts.push(msg.chunk);
    }
  } catch (err) {
    throw fromServiceError(err as grpc.ServiceError, "image-service");
  }
  if (!header) throw new Error("download without a header");
  return { ...header, data: Buffer.concat(parts) };
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `size` bytes of zeros with 1 MiB of random data at each of `at` (MiB offsets): a sparse image. */
export function sparseImage(sizeMiB: number, at: number[]): Buffer {
  const data = Buffer.alloc(sizeMiB << 20);
  for (const mib of at) randomBytes(1 << 20).copy(data, mib << 20);
  return data;
}

/** Expects `promise` to fail with a domain error of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    if ((err as { code?: string }).code === code) return;
    throw new Error(`expected ${code}, got ${String((err as { code?: string }).code)}: ${(err as Error).message}`);
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}
