import type { LiveTarget } from "../target";

/**
 * Parses `tgtadm --mode target --op show`. The layout (tgt 1.0.x) is indented text:
 *   Target 1: iqn...            (column 0)
 *       I_T nexus information:  (4 spaces: a section)
 *           I_T nexus: 3        (8+ spaces: items; one line per session)
 *           LUN: 1 / Backing store type: rdwr / Backing store path: /x
 *       Account information:    (items: one account per line, outgoing ones marked "(outgoing)")
 *       ACL information:        (items: one initiator name or address per line)
 */
export function parseTargets(text: string): LiveTarget[] {
  const out: LiveTarget[] = [];
  let cur: LiveTarget | undefined;
  let section = "";
  let lun = -1;
  let lunType = "";
  for (const line of text.split("\n")) {
    const target = /^Target (\d+): (\S+)\s*$/.exec(line);
    if (target) {
      cur = { tid: Number(target[1]), iqn: target[2] ?? "", initiators: [], accounts: [], sessions: 0 };
      out.push(cur);
      section = "";
      continue;
    }
    if (!cur) continue;
    const header = /^ {4}(\S[^:]*):\s*$/.exec(line);
    if (header) {
      section = header[1] ?? "";
      continue;
    }
    const item = line.trim();
    if (item === "") continue;
    if (section === "I_T nexus information" && /^I_T nexus: \d+/.test(item)) cur.sessions++;
    else if (section === "LUN information") {
      const m = /^(LUN|Backing store type|Backing store path): (.*)$/.exec(item);
      if (m?.[1] === "LUN") lun = Number(m[2]);
      else if (m?.[1] === "Backing store type") lunType = m[2] ?? "";
      else if (m?.[1] === "Backing store path" && lun === 1) cur.lun1 = { type: lunType, path: m[2] ?? "" };
    } else if (section === "Account information") {
      const out = /^(\S+)\s+\(outgoing\)$/.exec(item);
      if (out) (cur.outgoing ??= []).push(out[1] ?? "");
      else cur.accounts.push(item);
    }
    else if (section === "ACL information") cur.initiators.push(item);
  }
  return out;
}

/** Counts the sessions in `tgtadm --mode conn --op show --tid N` (one "Session: <sid>" line each). */
export function parseSessions(text: string): number {
  return new Set([...text.matchAll(/^\s*Session: (\d+)/gm)].map((m) => m[1])).size;
}

/** The (session, connection) pairs in `tgtadm --mode conn --op show --tid N`: "Session: <sid>", then "Connection: <cid>" lines. */
export function parseConnections(text: string): { sid: string; cid: string }[] {
  const out: { sid: string; cid: string }[] = [];
  let sid: string | undefined;
  for (const line of text.split("\n")) {
    const s = /^\s*Session: (\d+)/.exec(line);
    if (s) { sid = s[1]; continue; }
    const c = /^\s*Connection: (\d+)/.exec(line);
    if (c && sid !== undefined) out.push({ sid, cid: c[1] ?? "" });
  }
  return out;
}

/** Parses `tgtadm --mode account --op show`. */
export function parseAccounts(text: string): string[] {
  return text.split("\n").slice(1).map((l) => l.trim()).filter((l) => l !== "");
}

/** Parses `tgtadm --mode portal --op show` ("Portal: 127.0.0.1:3260,1") into host:port strings. */
export function parsePortals(text: string): string[] {
  return [...text.matchAll(/^Portal: (\S+),\d+\s*$/gm)].map((m) => m[1] ?? "");
}
