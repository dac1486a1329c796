import * as protobuf from "protobufjs";
import { hostileBytes, hostileEnum, hostileNumber, hostileString } from "./hostile-values";
import type { Rng } from "./rng";

const MAX_DEPTH = 3;
const HUGE_LENGTHS = [1000, 5000];
const SHORT_LENGTHS = [0, 1, 2, 3];
// Thousands of items stay under gRPC's 4 MiB request limit only when each item is small and holds no long list
// itself; a few requests still go over it on purpose (RESOURCE_EXHAUSTED is a fine answer).
const SMALL_ITEM_CHARS = 64;

interface Mix {
  /** How likely a string or an enum is a plausible one. */
  plausible: number;
  /** How likely a field, or a nested message, is left out. */
  absent: number;
  hugeLists: boolean;
}

interface Budget extends Mix {
  depth: number;
  maxChars: number;
}

// Most requests are hostile all over and stop at the first check; one in four is plausible but for a field or two,
// so it gets past validation into stores, drivers and proxies.
const MOSTLY_HOSTILE: Mix = { plausible: 0.3, absent: 0.15, hugeLists: true };
const MOSTLY_PLAUSIBLE: Mix = { plausible: 0.9, absent: 0.03, hugeLists: false };

/**
 * A request of `type` with a hostile or plausible value in each field, from the descriptor alone: strings, numbers,
 * enums (undeclared values too), bytes, nested messages (absent, empty or filled), repeated fields of thousands of
 * items and maps (repeated entries on the wire, so duplicate keys too), oneofs with none, one or several members.
 */
export function hostileRequest(type: protobuf.Type, rng: Rng): Record<string, unknown> {
  return hostileMessage(type, rng, { ...(rng.chance(0.25) ? MOSTLY_PLAUSIBLE : MOSTLY_HOSTILE), depth: 0, maxChars: Infinity });
}

function hostileMessage(type: protobuf.Type, rng: Rng, budget: Budget): Record<string, unknown> {
  const msg: Record<string, unknown> = {};
  const oneofs = new Set<string>();
  for (const field of type.fieldsArray) {
    field.resolve();
    if (rng.chance(budget.absent)) continue;
    if (field.partOf) {
      // Usually one member of a oneof; sometimes several, all of which go on the wire.
      if (oneofs.has(field.partOf.name) && !rng.chance(0.1)) continue;
      oneofs.add(field.partOf.name);
    }
    if (field.repeated) {
      const huge = budget.hugeLists && rng.chance(0.2);
      const n = rng.pick(huge ? HUGE_LENGTHS : SHORT_LENGTHS);
      const item = huge ? { ...budget, maxChars: SMALL_ITEM_CHARS, hugeLists: false } : budget;
      msg[field.name] = Array.from({ length: n }, () => hostileValue(field, rng, item) ?? {});
    } else {
      const v = hostileValue(field, rng, budget);
      if (v !== undefined) msg[field.name] = v;
    }
  }
  return msg;
}

function hostileValue(field: protobuf.Field, rng: Rng, budget: Budget): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) {
    if (budget.depth >= MAX_DEPTH || rng.chance(budget.absent)) return rng.chance(0.5) ? {} : undefined;
    return hostileMessage(t, rng, { ...budget, depth: budget.depth + 1 });
  }
  if (t instanceof protobuf.Enum) return hostileEnum(rng, budget.plausible, Object.values(t.values));
  if (field.type === "string") return hostileString(rng, budget.plausible, field.name).slice(0, budget.maxChars);
  if (field.type === "bytes") return hostileBytes(rng).subarray(0, budget.maxChars);
  if (field.type === "bool") return rng.chance(0.5);
  const n = hostileNumber(rng, field.type);
  if (n === undefined) throw new Error(`fuzz: no hostile values for field type ${field.type} (${field.fullName})`);
  return n;
}
