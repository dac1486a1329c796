import { Backing } from "@bmi/proto/bmi/common/v1/common";
import type { StepRecord } from "./types";

// Step outputs are typed here and nowhere else turned into text: a job's records in Redis, GetJob's Step.outputs and
// the StepSucceeded event all carry the proto's map<string, string>, so each field says how it reads and writes.

/** One field of a step's outputs (or secrets): its value, and its text in the map (undefined: left out). */
interface Field<T, Optional extends boolean = false> {
  read(text: string | undefined): T;
  write(value: T): string | undefined;
  readonly optional?: Optional;
}

const text: Field<string> = { read: (s) => s ?? "", write: (v) => v };
const flag: Field<boolean> = { read: (s) => s === "true", write: String };
const whole = (missing: number): Field<number> => ({ read: (s) => (s === undefined ? missing : Number(s)), write: String });
/** Written as "a,b" (the form callers have always seen); an empty list reads back empty. */
const list: Field<string[]> = { read: (s) => (s ?? "").split(",").filter(Boolean), write: (v) => v.join(",") };
const seconds: Field<number> = { read: (s) => Number(s ?? 0), write: (v) => v.toFixed(1) };
const backing: Field<Backing> = {
  read: (s) => Backing.fromJSON(JSON.parse(s ?? "{}")),
  write: (v) => JSON.stringify(Backing.toJSON(v)),
};

/** Left out when empty; absent when the step did not write it (it has not run, or an older record). */
const optional = <T>(f: Field<T>): Field<T | undefined, true> => ({
  optional: true,
  read: (s) => (s === undefined || s === "" ? undefined : f.read(s)),
  write: (v) => (v === undefined || v === "" ? undefined : f.write(v)),
});

type Fields = Record<string, Field<any, boolean>>; // eslint-disable-line @typescript-eslint/no-explicit-any
type ValueOf<F> = F extends Field<infer T, boolean> ? T : never;
/** The typed form of a field set: optional fields are optional properties. */
export type Typed<F extends Fields> =
  { [K in keyof F as F[K] extends Field<unknown, true> ? never : K]: ValueOf<F[K]> } &
  { [K in keyof F as F[K] extends Field<unknown, true> ? K : never]?: ValueOf<F[K]> };

/** Turns one step's typed outputs (or secrets) into the map the records carry, and back. */
export class Codec<F extends Fields> {
  constructor(private readonly fields: F) {}

  write(value: Typed<F>): Record<string, string> {
    const out: Record<string, string> = {};
    const v = value as Record<string, unknown>;
    for (const [key, field] of Object.entries(this.fields)) {
      const s = field.write(v[key] as never);
      if (s !== undefined) out[key] = s;
    }
    return out;
  }

  read(map: Readonly<Record<string, string>> | undefined): Typed<F> {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(this.fields)) {
      const v = field.read(map?.[key]);
      if (v !== undefined) out[key] = v;
    }
    return out as Typed<F>;
  }
}

const codec = <F extends Fields>(fields: F) => new Codec(fields);

/** What each step of a provision (or re-provision) shows callers, and what later steps and undo read. */
export const PROVISION_OUTPUTS = {
  check_node: codec({ nic: optional(text), mac: optional(text), free: flag, firmware: optional(text),
    efiLoader: optional(text), power: optional(text) }),
  /** allocated: false when the node was the project's already; absent when the step never finished. */
  allocate: codec({ allocated: optional(flag) }),
  disk: codec({ disk: text, image: text, created: flag }),
  target: codec({ iqn: text, portals: list, lun: whole(1) }),
  /** changed: false when the node was on the network already; absent when the step never finished. */
  network: codec({ changed: optional(flag) }),
  boot_seen: codec({ phase: text, seconds }),
};

/** Kept for later steps and undo, never shown (dropped when the job ends). */
export const PROVISION_SECRETS = {
  disk: codec({ backing }),
  target: codec({ chapUser: text, chapSecret: text, reverseUser: optional(text), reverseSecret: optional(text) }),
};

export const DEPROVISION_OUTPUTS = {
  check_node: codec({ powerDriver: text }),
  power_off: codec({ skipped: optional(text) }),
};

export const SNAPSHOT_OUTPUTS = {
  snapshot: codec({ image: text }),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Table = Record<string, Codec<any>>;
type Values<T extends Table> = { [K in keyof T]: T[K] extends Codec<infer F> ? Typed<F> : never };

/** Reads steps' outputs (or secrets) from a job's records, each with its step's codec. */
function reader<T extends Table>(table: T, part: "outputs" | "secrets") {
  return <K extends keyof T & string>(steps: ReadonlyMap<string, StepRecord>, step: K): Values<T>[K] =>
    table[step]!.read(steps.get(step)?.[part]) as Values<T>[K];
}

export const provisionOutput = reader(PROVISION_OUTPUTS, "outputs");
export const provisionSecret = reader(PROVISION_SECRETS, "secrets");
export const deprovisionOutput = reader(DEPROVISION_OUTPUTS, "outputs");
