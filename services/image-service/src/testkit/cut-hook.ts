import fs from "node:fs";
import fsp from "node:fs/promises";
import { QmpClient } from "@bmi/qmp";

/**
 * Loaded with `node --require` into a separately started image-service by crash tests: the process SIGKILLs itself
 * at the point BMI_TEST_CUT names, exactly as a crash there would leave things:
 *   before-qmp:CMD / after-qmp:CMD   around the storage daemon's QMP command CMD
 *   before-rename:SUFFIX             before a file is renamed to a name ending in SUFFIX (".json"; fs.rename or renameSync)
 */
const [when = "", what = ""] = (process.env.BMI_TEST_CUT ?? "").split(/:(.*)/s);

function die(): Promise<never> {
  process.kill(process.pid, "SIGKILL");
  return new Promise<never>(() => undefined);
}

if (when === "before-qmp" || when === "after-qmp") {
  const execute = QmpClient.prototype.execute;
  QmpClient.prototype.execute = async function cut<T>(this: QmpClient, command: string, args?: Record<string, unknown>): Promise<T> {
    if (command === what && when === "before-qmp") await die();
    const answer = await execute.call(this, command, args) as T;
    if (command === what) await die();
    return answer;
  };
}

if (when === "before-rename") {
  const rename = fsp.rename;
  (fsp as { rename: typeof rename }).rename = async (from, to) => {
    if (String(to).endsWith(what)) await die();
    return rename(from, to);
  };
  const renameSync = fs.renameSync;
  (fs as { renameSync: typeof renameSync }).renameSync = (from, to) => {
    if (String(to).endsWith(what)) process.kill(process.pid, "SIGKILL");
    renameSync(from, to);
  };
}
