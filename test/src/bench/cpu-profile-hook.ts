// Preloaded into each service by `npm run bench -- bulk --profile` (NODE_OPTIONS=--require this file, since node 20
// refuses --cpu-prof in NODE_OPTIONS): profiles the service from start to exit with V8's sampling profiler and writes
// <BMI_BENCH_PROFILE_DIR>/<service>-<pid>.cpuprofile (Chrome DevTools, speedscope). Other node processes are left be.
import { writeFileSync } from "node:fs";
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
  // A session on the same thread answers synchronously, so the profile is written before the process is gone.
  process.on("exit", () => {
    session.post("Profiler.stop", (err, res) => {
      if (!err) writeFileSync(path.join(dir, `${service}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
