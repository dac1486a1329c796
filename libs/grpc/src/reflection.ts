import { readFileSync } from "node:fs";
import type * as grpc from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { descriptorSetPath } from "@bmi/proto";

/**
 * Server reflection (v1 and v1alpha) fed with the descriptor set that `buf build` writes, file by file with its
 * imports intact. Feeding it proto-loader's output instead drops each file's imports, and strict clients
 * (grpcurl describe) then fail to resolve google.protobuf.Timestamp.
 */
export function addReflection(server: grpc.Server, services: string[], path = descriptorSetPath): void {
  const files = splitFileDescriptorSet(readFileSync(path));
  const root = { bmi: { fileDescriptorProtos: files } };
  new ReflectionService(root as never, { services }).addToServer(server);
}

/** FileDescriptorSet is `repeated FileDescriptorProto file = 1`: each entry's raw bytes, undecoded. */
export function splitFileDescriptorSet(buf: Buffer): Buffer[] {
  const files: Buffer[] = [];
  let i = 0;
  const varint = (): number => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error("truncated descriptor set");
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    if (tag !== 0x0a) throw new Error(`unexpected field tag ${tag} in descriptor set`);
    const len = varint();
    files.push(buf.subarray(i, i + len));
    i += len;
  }
  return files;
}
