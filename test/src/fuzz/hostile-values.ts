import type { Rng } from "./rng";

// Plausible values let a request get past the first check and reach the code behind it (stores, drivers,
// proxies). They are chosen by the field's name alone, so a new field or RPC needs no entry here.
const PLAUSIBLE_BY_NAME: Array<[RegExp, string[]]> = [
  [/mac/, ["52:54:00:aa:bb:cc", "52-54-00-AA-BB-01"]],
  [/iqn/, ["iqn.2026-01.org.example.bmi:fz"]],
  [/path|socket|file|conf/, ["/tmp/fz", "/tmp/fz.qmp"]],
  [/ur[il]/, ["http://127.0.0.1:1/"]],
  [/portal/, ["127.0.0.1:3260"]],
  [/channel/, ["vlan/native", "vlan/100"]],
  [/host/, ["127.0.0.1"]],
];
const PLAUSIBLE_NAMES = ["fz", "fz-1", "p1", "n1", "golden", "eth0", "net1", "fz.1_x"];
const PLAUSIBLE = [...PLAUSIBLE_NAMES, ...PLAUSIBLE_BY_NAME.flatMap(([, values]) => values)];

const HOSTILE = [
  "", " ", ".", "..", "/", "-", "--help", "-rf", "*", "?", "\\", "~",
  "\0", "a\0b", "fz\0", "\x01\x02\x1b[31m\x7f", "\r\n", "fz\n", "\t", "\u0085", "\u2028",
  "../../etc/shadow", "/etc/shadow", "..\\..\\windows", "fz/../../x", "%2e%2e%2f", "file:///etc/shadow",
  "$(reboot)", "`reboot`", ";rm -rf /", "| cat /etc/passwd", "&& id", "fz;id", "${IFS}", "'", "\"", "' OR 1=1 --",
  "%s%n%x", "{{7*7}}", "<script>", "ノード", "e\u0301", "\u202efz", "\ud800", "\uffff", "💥", "ＦＺ",
  "disk~x~y", "disk~p1~n1", "tmp~fz", "FZ", "Fz-1", "0", "-1", "9".repeat(40), "fz".repeat(32), "f".repeat(63),
  "f".repeat(64), "f".repeat(224), "f".repeat(4097), "iqn.", "iqn.2026-01.org.example:\0",
  "52:54:00:aa:bb", "52:54:00:aa:bb:cc:dd", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00",
  "ipmi://u:p@host/", "qemu://", "http://[::1", "javascript:alert(1)", "x".repeat(1024),
];

/**
 * A string for the field `name`: plausible for it (with probability `plausible`), else hostile, 64 KiB long, or
 * hostile ones run together.
 */
export function hostileString(rng: Rng, plausible: number, name: string): string {
  if (rng.chance(plausible)) return rng.pick(PLAUSIBLE_BY_NAME.find(([re]) => re.test(name))?.[1] ?? PLAUSIBLE_NAMES);
  const roll = rng.next();
  if (roll < 0.8) return rng.pick(HOSTILE);
  if (roll < 0.9) return rng.pick(["a", "\0", "../", "$(", "é"]).repeat(rng.pick([4096, 65536]));
  return rng.pick([...PLAUSIBLE, ...HOSTILE]) + rng.pick(HOSTILE) + rng.pick([...PLAUSIBLE, ...HOSTILE]);
}

const INT32 = [0, 1, -1, 2, 7, 2 ** 31 - 1, -(2 ** 31), 1000, 65536, 1e9];
const UINT32 = [0, 1, 2, 7, 2 ** 32 - 1, 2 ** 31, 1000, 65536, 1e9];
const INT64 = [0, 1, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 63, 1e15];
const UINT64 = [0, 1, Number.MAX_SAFE_INTEGER, 2 ** 64 - 1, 1e15];
const FLOAT = [0, -0, -1, 1e308, -1e308, NaN, Infinity, -Infinity, 5e-324];

/** A number for a protobuf scalar type, or undefined when the type is not numeric. */
export function hostileNumber(rng: Rng, type: string): number | undefined {
  switch (type) {
    case "int32": case "sint32": case "sfixed32": return rng.pick(INT32);
    case "uint32": case "fixed32": return rng.pick(UINT32);
    case "int64": case "sint64": case "sfixed64": return rng.pick(INT64);
    case "uint64": case "fixed64": return rng.pick(UINT64);
    case "double": case "float": return rng.pick(FLOAT);
    default: return undefined;
  }
}

/** An enum value: a declared one (with probability `plausible`), or one no version of the contract declares. */
export function hostileEnum(rng: Rng, plausible: number, declared: number[]): number {
  return rng.chance(plausible) ? rng.pick(declared) : rng.pick([-1, 99, 2 ** 31 - 1, -(2 ** 31), Math.max(...declared) + 1]);
}

/** Bytes: empty, a few, or 1 MiB of zeros (an upload's chunk). */
export function hostileBytes(rng: Rng): Uint8Array {
  const size = rng.pick([0, 1, 16, 4096, 1 << 20]);
  return size <= 4096 ? Uint8Array.from({ length: size }, () => rng.int(256)) : new Uint8Array(size);
}
