import { it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadLua, luaSourceDir } from "./load-lua";

it("luaSourceDir maps a package's dist/<area> to src/<area> and leaves src/ alone", () => {
  const root = path.resolve("/opt/bmi/services/x");
  assert.equal(luaSourceDir(path.join(root, "dist", "engine", "lua")), path.join(root, "src", "engine", "lua"));
  assert.equal(luaSourceDir(path.join(root, "src", "drivers")), path.join(root, "src", "drivers"));
  // Only the last dist/ is the build's: a checkout under a directory named dist keeps its name.
  assert.equal(luaSourceDir(path.resolve("/dist/bmi/services/x/dist/a")), path.resolve("/dist/bmi/services/x/src/a"));
});

it("loadLua reads a script from src/ when run from dist/, the same text, and a missing one throws", async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), "bmi-lua-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const text = "local x = ARGV[1] -- a \\ stays as written\nreturn x\n";
  await mkdir(path.join(root, "src", "area", "lua"), { recursive: true });
  await writeFile(path.join(root, "src", "area", "lua", "echo.lua"), text);
  assert.equal(loadLua(path.join(root, "dist", "area"), "lua/echo"), text);
  assert.equal(loadLua(path.join(root, "src", "area"), "lua/echo"), text);
  assert.throws(() => loadLua(path.join(root, "dist", "area"), "lua/missing"), /ENOENT/);
});
