import path from "node:path";
import { REPO_ROOT } from "@bmi/testing";

/** The built program of a BMI service in this checkout, for @bmi/testing's startService (which never looks it up itself). */
export function serviceMain(service: string): string {
  return path.join(REPO_ROOT, "services", service, "dist", "main.js");
}
