// Preloaded into each service by `npm run bench -- bulk --profile` (NODE_OPTIONS=--require this file, since node 20
// refuses --cpu-prof in NODE_OPTIONS): profiles the service with V8's sampling profiler and writes
// <BMI_BENCH_PROFILE_DIR>/<service>-<pid>[-<window>].cpuprofile (Chrome DevTools, speedscope). The bench cuts the
// run into windows: it writes the window's name to <dir>/window and sends SIGUSR2; each service then writes the
// profile so far under the name of the window that just ended and starts the next. What is left is written at exit.
// Other node processes are left be.
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";

const dir = process.env.BMI_BENCH_PROFILE_DIR;
const service = /services[\\/]([^\\/]+)[\\/]dist[\\/]main\.js$/.exec(process.argv[1] ?? "")?.[1];
if (dir && service) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  let window = "";
  const write = (next: string) => {
    // A session on the same thread answers synchronously, so the profile is written before the process is gone.
    session.post("Profiler.stop", (err, res) => {
      if (!err) writeFileSync(path.join(dir, `${service}-${process.pid}${window ? `-${window}` : ""}.cpuprofile`), JSON.stringify(res.profile));
    });
    window = next;
    session.post("Profiler.start");
  };
  process.on("SIGUSR2", () => {
    let next = "";
    try {
      next = readFileSync(path.join(dir, "window"), "utf8").trim().replace(/[^a-z0-9-]/g, "");
    } catch { /* no name: the rest of the run */ }
    write(next);
  });
  process.on("exit", () => write(""));
}
