import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * The source directory that holds a module's .lua files. tsc does not copy them into dist/, so code compiled to
 * <package>/dist/<area> reads them from <package>/src/<area> (shipped with the tree: the container image copies it
 * whole, systemd runs /opt/bmi); code run from src/ reads them where it is.
 */
export function luaSourceDir(dir: string): string {
  const parts = path.resolve(dir).split(path.sep);
  const dist = parts.lastIndexOf("dist");
  if (dist >= 0) parts[dist] = "src";
  return parts.join(path.sep);
}

/**
 * The text of a Lua script kept beside the code that runs it: `loadLua(__dirname, "lua/register")` reads
 * <src of __dirname>/lua/register.lua. Read once at module load, so a missing file stops the service at start-up.
 */
export function loadLua(dir: string, name: string): string {
  return readFileSync(path.join(luaSourceDir(dir), `${name}.lua`), "utf8");
}
