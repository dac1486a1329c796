import { readFileSync } from "node:fs";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import * as protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor";

/**
 * A reflection client that knows nothing of BMI's generated code: it asks the server for its services and the
 * files that define them, follows every import by file name the way grpcurl does, and builds the types from
 * the descriptors alone. If a file's imports were missing, resolving the types would fail.
 */
export class ReflectionClient {
  private readonly client: grpc.Client & Record<string, (...a: unknown[]) => grpc.ClientDuplexStream<unknown, unknown>>;

  /** Over TLS trusting `ca` (a PEM file) when given, as grpcurl -cacert. */
  constructor(address: string, readonly version: "v1" | "v1alpha" = "v1", ca?: string) {
    const file = path.join(path.dirname(require.resolve("@grpc/reflection/package.json")), "build", "proto", "grpc",
      "reflection", version, "reflection.proto");
    const def = grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, longs: String, defaults: true }));
    const pkg = (def["grpc"] as grpc.GrpcObject)["reflection"] as grpc.GrpcObject;
    const Ctor = (pkg[version] as grpc.GrpcObject)["ServerReflection"] as grpc.ServiceClientConstructor;
    this.client = new Ctor(address, ca ? grpc.credentials.createSsl(readFileSync(ca)) : grpc.credentials.createInsecure()) as never;
  }

  async listServices(): Promise<string[]> {
    const res = await this.ask({ list_services: "" });
    return (res.list_services_response as { service: Array<{ name: string }> }).service.map((s) => s.name);
  }

  /** Every file needed to describe `symbol`, fetched by symbol and then by file name for each import. */
  async filesFor(symbol: string): Promise<Map<string, Uint8Array>> {
    const files = new Map<string, Uint8Array>();
    const add = (res: Record<string, unknown>) => {
      const fd = res.file_descriptor_response as { file_descriptor_proto: Uint8Array[] } | undefined;
      if (!fd) throw new Error(`reflection error: ${JSON.stringify(res.error_response)}`);
      for (const bytes of fd.file_descriptor_proto) {
        const f = descriptor.FileDescriptorProto.decode(bytes) as unknown as { name: string };
        files.set(f.name, bytes);
      }
    };
    add(await this.ask({ file_containing_symbol: symbol }));
    for (let changed = true; changed;) {
      changed = false;
      for (const bytes of [...files.values()]) {
        const f = descriptor.FileDescriptorProto.decode(bytes) as unknown as { dependency: string[] };
        for (const dep of f.dependency ?? []) {
          if (!files.has(dep)) {
            add(await this.ask({ file_by_filename: dep }));
            if (!files.has(dep)) throw new Error(`server did not return ${dep}`);
            changed = true;
          }
        }
      }
    }
    return files;
  }

  /** Builds the service from reflected descriptors alone; throws if any type does not resolve. */
  async describe(service: string): Promise<protobuf.Service> {
    const files = await this.filesFor(service);
    const set = descriptor.FileDescriptorSet.create({
      file: [...files.values()].map((b) => descriptor.FileDescriptorProto.decode(b)),
    });
    const root = (protobuf.Root as unknown as { fromDescriptor(s: unknown): protobuf.Root }).fromDescriptor(set);
    root.resolveAll();
    const svc = root.lookupService(service);
    for (const m of Object.values(svc.methods)) {
      m.resolve();
      if (!m.resolvedRequestType || !m.resolvedResponseType) throw new Error(`${service}.${m.name}: unresolved types`);
    }
    return svc;
  }

  close(): void {
    this.client.close();
  }

  private ask(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const call = this.client["ServerReflectionInfo"]!() as grpc.ClientDuplexStream<unknown, Record<string, unknown>>;
      call.on("data", (res: Record<string, unknown>) => {
        resolve(res);
        call.end();
      });
      call.on("error", reject);
      call.write(req);
    });
  }
}
