import { Tgtadm } from "../drivers/tgtadm";

/**
 * Loaded with `node --require` into a separately started target-service by crash tests: the process SIGKILLs itself
 * at the point BMI_TEST_CUT names, exactly as a crash there would leave tgtd: "before-tgtadm:MODE/OP" or
 * "after-tgtadm:MODE/OP", around the first tgtadm request of that mode and op ("target/new", "account/bind").
 */
const [when = "", what = ""] = (process.env.BMI_TEST_CUT ?? "").split(/:(.*)/s);

function die(): Promise<never> {
  process.kill(process.pid, "SIGKILL");
  return new Promise<never>(() => undefined);
}

function flag(args: string[], name: string): string {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? "") : "";
}

if (when === "before-tgtadm" || when === "after-tgtadm") {
  const run = Tgtadm.prototype.run;
  Tgtadm.prototype.run = async function cut(this: Tgtadm, args: string[], lld?: boolean): Promise<string> {
    // Not the store marker (tid 2147483647, made at start-up): the requests of the call under test.
    const hit = `${flag(args, "--mode")}/${flag(args, "--op")}` === what && flag(args, "--tid") !== "2147483647";
    if (hit && when === "before-tgtadm") await die();
    const out = await run.call(this, args, lld);
    if (hit) await die();
    return out;
  };
}
