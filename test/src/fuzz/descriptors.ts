import { readFileSync } from "node:fs";
import * as protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor";
import { descriptorSetPath } from "@bmi/proto";

/** BMI's own gRPC services (`bmi.<area>.v1.*`): what the fuzzer covers, whatever they are called. */
const BMI_SERVICE = /^bmi\.[a-z]+\.v1\.[A-Za-z]+$/;

/**
 * Every BMI service and its methods, read from the descriptor set `buf build` writes (the one reflection serves),
 * so a new RPC is fuzzed as soon as it is generated, with no code naming it.
 */
export function loadBmiServices(): protobuf.Service[] {
  const set = descriptor.FileDescriptorSet.decode(readFileSync(descriptorSetPath));
  const root = (protobuf.Root as unknown as { fromDescriptor(s: unknown): protobuf.Root }).fromDescriptor(set);
  root.resolveAll();
  const services: protobuf.Service[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Service && BMI_SERVICE.test(o.fullName.slice(1))) services.push(o);
      if (o instanceof protobuf.Namespace) walk(o);
    }
  };
  walk(root);
  for (const m of services.flatMap((s) => s.methodsArray)) m.resolve();
  return services;
}

/** "bmi.image.v1.ImageService" (protobufjs names start with a dot). */
export const serviceName = (s: protobuf.Service) => s.fullName.slice(1);
