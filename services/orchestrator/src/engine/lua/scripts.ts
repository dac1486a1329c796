import { loadLua, luaSourceDir } from "@bmi/redis";
import { Script } from "./script";

/**
 * Where the .lua sources are: tsc does not copy them into dist/, so both src/engine/lua and dist/engine/lua look in
 * the package's src/engine/lua (shipped with the tree: the container image copies it whole, systemd runs /opt/bmi).
 */
export const LUA_DIR = luaSourceDir(__dirname);

/**
 * Every script the engine runs, as the .lua files it is made of. common.lua (key prefix, clock, retention in
 * ARGV[1..4], the helpers that change a job, its events and the node's records together) comes first in each;
 * write-guard.lua releases the limiter slots the op names (slots.lua) and checks the owner's fence before a
 * transition or finish.
 */
export const SCRIPT_FILES = {
  create: ["common", "create"],
  claim: ["common", "claim"],
  renew: ["common", "renew"],
  release: ["common", "release"],
  transition: ["common", "slots", "write-guard", "transition"],
  finish: ["common", "slots", "write-guard", "finish"],
  cancel: ["common", "cancel"],
  bootSeen: ["common", "boot-seen"],
  relayTake: ["common", "relay-take"],
  relayReap: ["common", "relay-reap"],
  quotaUsed: ["common", "quota-used"],
  quotaIndex: ["common", "quota-index"],
} as const satisfies Record<string, readonly string[]>;

export type ScriptName = keyof typeof SCRIPT_FILES;

/** Reads the files at start-up: a missing one stops the service here, not at the first job. */
function load(): Record<ScriptName, Script> {
  const cache = new Map<string, string>();
  const read = (file: string) => {
    let text = cache.get(file);
    if (text === undefined) cache.set(file, (text = loadLua(__dirname, file)));
    return text;
  };
  const out = {} as Record<ScriptName, Script>;
  for (const [name, files] of Object.entries(SCRIPT_FILES) as Array<[ScriptName, readonly string[]]>) {
    out[name] = new Script(files.map(read).join("\n"));
  }
  return out;
}

export const SCRIPTS = load();
