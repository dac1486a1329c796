import { InvalidArgumentError } from "@bmi/errors";

/** One term of a selector: a label equal (or not) to a value, present, or a capability at least a number. */
export type Term =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: ">="; min: number }
  | { key: string; op: "has" };

export interface Selector { terms: Term[]; text: string }

export type Placement = "spread" | "pack";

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const VALUE = /^[A-Za-z0-9._:-]{0,63}$/;

/**
 * "gpu=true,cpus>=16,rack!=r3,accelerators" (comma separated, all must hold): labels compared as text,
 * capability minimums as numbers (a node without the key, or with a value that is not a number, does not match),
 * a bare key: the node has it. Empty: every node.
 */
export function parseSelector(text: string): Selector {
  const terms: Term[] = [];
  if (text.length > 1024) throw new InvalidArgumentError("a selector is longer than 1024 characters");
  // Empty (or only blanks): every node. An empty term among others is a typo (",," or a trailing comma) that must
  // not widen the match silently: ",," alone would otherwise have selected every node.
  const raws = text.trim() === "" ? [] : text.split(",").map((t) => t.trim());
  for (const [i, raw] of raws.entries()) {
    if (raw === "") throw new InvalidArgumentError(`selector ${JSON.stringify(text)}: term ${i + 1} is empty (terms are K=V, K!=V, K>=N or K, separated by one comma)`);
    const m = /^([^=!<>]+)(>=|!=|=)?(.*)$/.exec(raw);
    const key = m?.[1]?.trim() ?? "";
    const op = m?.[2];
    const value = m?.[3]?.trim() ?? "";
    if (!KEY.test(key)) throw new InvalidArgumentError(`selector term ${JSON.stringify(raw)}: ${JSON.stringify(key)} is not a label or capability name`);
    if (!op) {
      if (value !== "") throw new InvalidArgumentError(`selector term ${JSON.stringify(raw)}: use K=V, K!=V, K>=N or K`);
      terms.push({ key, op: "has" });
    } else if (op === ">=") {
      const min = Number(value);
      if (value === "" || !Number.isFinite(min)) throw new InvalidArgumentError(`selector term ${JSON.stringify(raw)}: ${JSON.stringify(value)} is not a number`);
      terms.push({ key, op, min });
    } else {
      if (value.startsWith("=")) throw new InvalidArgumentError(`selector term ${JSON.stringify(raw)}: use one = (K=V), not ${op}=`);
      if (!VALUE.test(value)) throw new InvalidArgumentError(`selector term ${JSON.stringify(raw)}: ${JSON.stringify(value)} is not a label value`);
      terms.push({ key, op: op as "=" | "!=", value });
    }
  }
  return { terms, text: terms.map(termText).join(",") };
}

function termText(t: Term): string {
  if (t.op === "has") return t.key;
  if (t.op === ">=") return `${t.key}>=${t.min}`;
  return `${t.key}${t.op}${t.value}`;
}

export function matches(sel: Selector, metadata: Record<string, string>): boolean {
  return sel.terms.every((t) => {
    const v = metadata[t.key];
    switch (t.op) {
      case "has": return v !== undefined;
      case "=": return v === t.value;
      case "!=": return v !== t.value;
      case ">=": return v !== undefined && v.trim() !== "" && Number.isFinite(Number(v)) && Number(v) >= t.min;
    }
  });
}

export function parsePlacement(text: string): Placement {
  if (text === "" || text === "spread") return "spread";
  if (text === "pack") return "pack";
  throw new InvalidArgumentError(`placement ${JSON.stringify(text)}: spread or pack`);
}
