import type { VmNode } from "../e2e/vm-node";
import type { Progress } from "./progress";

// The lines of a boot worth showing: iPXE fetching the scripts and opening the SAN disk, and the demo image.
const SHOWN = /^(http:\/\/\S+\.\.\..*|BMI: node .*|Registered SAN device.*|Booting from SAN device.*|BMI-DEMO .*)$/;

/** Prints the notable serial lines of `vm` as they appear, until the returned function is called. */
export function echoSerial(vm: VmNode, progress: Progress): () => void {
  let shown = 0;
  const tick = () => {
    const all = vm.serial().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").split(/\r?\n/);
    all.pop(); // the line being written
    const lines = all.map((l) => l.trim()).filter((l) => SHOWN.test(l));
    for (const l of lines.slice(shown)) progress.line(`   ${vm.name.padEnd(12)} | ${l}`);
    shown = Math.max(shown, lines.length);
  };
  const timer = setInterval(tick, 200);
  return () => {
    clearInterval(timer);
    tick();
  };
}
