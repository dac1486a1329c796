import { after, before, test } from "node:test";
import { startE2eStack, type E2eStack } from "./e2e-stack";
import { tellDemoStory } from "./demo-story";

let s: E2eStack;

before(async () => { s = await startE2eStack({ tag: "demo" }); });
after(() => s?.stop());

// `npm run demo` is the README's first command: its program runs here against a private stack, so it cannot rot.
// The same story on Ceph (`npm run demo -- --ceph`) is in ceph.test.ts, on that file's cluster.
test("the demo program tells its whole story and exits 0", { timeout: 240_000 }, async () => {
  const summary = await tellDemoStory(s, { prefix: "demo", backend: "local" });
  console.log(summary.replace(/^/gm, "# "));
});
