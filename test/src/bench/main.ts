// `npm run bench -- <name> [args]`: runs one benchmark; each prints its own figures next to its raw floor.
const BENCHES: Record<string, string> = {
  image: "./image",
  boot: "./boot",
  bulk: "./bulk",
  single: "./single",
  memory: "./memory",
  "tgt-rbd": "./tgt-rbd",
  targets: "./targets",
  fuzz: "../fuzz/bench",
  cluster: "./cluster",
  ironic: "./ironic",
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const mod = name ? BENCHES[name] : undefined;
  if (!mod) {
    process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join("|")}> [options]\n`);
    process.exit(2);
  }
  // require, not import(): this is CommonJS output, and import() of a bare relative path needs its extension.
  const bench = require(mod) as { run(args: string[]): Promise<void> };
  await bench.run(args);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
