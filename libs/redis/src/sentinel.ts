import { readFileSync } from "node:fs";

/** Where a service's Redis is: a URL, or the Sentinels that know which server is the master now. */
export interface RedisLocation {
  /**
   * redis:// or rediss:// URL. With Sentinels only its user, password, database and scheme count (rediss: TLS to
   * the master and to the Sentinels); its host is not used, the Sentinels name the master.
   */
  url: string;
  /** PEM CA file for rediss://. */
  tlsCa?: string;
  /** Sentinels, host:port; empty or absent: the URL's host is Redis itself. */
  sentinels?: string[];
  /** The master's name in the Sentinels' configuration (`sentinel monitor NAME ...`). */
  sentinelMaster?: string;
  /** A file holding the Sentinels' own password (their requirepass), if they have one. */
  sentinelPasswordFile?: string;
}

/** The settings of libs/config's redisSpec, as a RedisLocation. */
export function redisLocation(cfg: {
  redisUrl: string; redisTlsCa: string; redisSentinels: string[]; redisSentinelMaster: string; redisSentinelPasswordFile: string;
}): RedisLocation {
  return {
    url: cfg.redisUrl, tlsCa: cfg.redisTlsCa, sentinels: cfg.redisSentinels,
    sentinelMaster: cfg.redisSentinelMaster, sentinelPasswordFile: cfg.redisSentinelPasswordFile,
  };
}

/**
 * ioredis options that reach the master through the Sentinels. ioredis asks them for the master at every
 * (re)connection; on a failover the Sentinel makes the old master a replica and kills its clients' connections
 * (CLIENT KILL TYPE normal), so ioredis reconnects to the new one. ioredis' failoverDetector is left off: its
 * Sentinel connections, set up again after each reconnect, can outlive disconnect() and retry for ever.
 */
export function sentinelOptions(loc: RedisLocation) {
  const u = new URL(loc.url);
  const tls = u.protocol === "rediss:" ? { ...(loc.tlsCa ? { ca: readFileSync(loc.tlsCa) } : {}) } : undefined;
  const db = Number(u.pathname.replace(/^\//, "") || 0);
  return {
    sentinels: (loc.sentinels ?? []).map(hostPort),
    name: loc.sentinelMaster || "mymaster",
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(loc.sentinelPasswordFile ? { sentinelPassword: readFileSync(loc.sentinelPasswordFile, "utf8").trim() } : {}),
    ...(tls ? { tls, enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
    sentinelRetryStrategy: (times: number) => Math.min(100 * 2 ** times, 2000),
  };
}

/** What to call this Redis in messages: the URL without its password, or the Sentinels and master name. */
export function describeLocation(loc: RedisLocation, redact: (url: string) => string): string {
  return loc.sentinels?.length ? `master "${loc.sentinelMaster || "mymaster"}" of Sentinels ${loc.sentinels.join(",")}` : redact(loc.url);
}

function hostPort(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(s);
  if (!m) throw new Error(`Sentinel address ${s} is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}
