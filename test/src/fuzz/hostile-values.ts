import type { Rng } from "./rng";

// Plausible values let a request get past the first check and reach the code behind it (stores, drivers,
// proxies); the hostile ones are what an attacker or a broken client sends.
const PLAUSIBLE = [
  "fz", "fz-1", "p1", "n1", "golden", "eth0", "net1", "52:54:00:aa:bb:cc", "iqn.2026-01.org.example.bmi:fz",
  "/tmp/fz", "qemu:///tmp/fz.qmp", "http://127.0.0.1:1/", "fz.1_x",
];

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

/** One string: plausible, hostile, 64 KiB long, or two of them run together. */
export function hostileString(rng: Rng): string {
  const roll = rng.next();
  if (roll < 0.3) return rng.pick(PLAUSIBLE);
  if (roll < 0.85) return rng.pick(HOSTILE);
  if (roll < 0.92) return rng.pick(["a", "\0", "../", "$(", "é"]).repeat(rng.pick([4096, 65536]));
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

/** An enum value: a declared one, or one no version of the contract declares. */
export function hostileEnum(rng: Rng, declared: number[]): number {
  return rng.chance(0.5) ? rng.pick(declared) : rng.pick([-1, 99, 2 ** 31 - 1, -(2 ** 31), Math.max(...declared) + 1]);
}

/** Bytes: empty, a few, or 1 MiB of zeros (an upload's chunk). */
export function hostileBytes(rng: Rng): Uint8Array {
  const size = rng.pick([0, 1, 16, 4096, 1 << 20]);
  return size <= 4096 ? Uint8Array.from({ length: size }, () => rng.int(256)) : new Uint8Array(size);
}
