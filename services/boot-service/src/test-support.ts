import { validateBootConfig, type BootConfig } from "./boot-config";

/** Test support (not a test): a valid UEFI boot config with two MACs and two portals, fields overridable. */
export function sample(over: Partial<BootConfig> = {}): BootConfig {
  return validateBootConfig({
    node: "n1", project: "p1", macs: ["52:54:00:00:00:01", "52-54-00-00-00-02"], initiatorIqn: "iqn.2026-01.org.example:n1",
    target: { iqn: "iqn.2026-01.org.example.bmi:p1.d1", portals: ["10.0.0.1:3260", "10.0.1.1:3261"], lun: 0 },
    chap: { user: "bmi-0123", secret: "abcdefABCDEF0123-_xy" }, firmware: "uefi", efiLoader: "", updated: "2026-01-01T00:00:00Z", ...over,
  });
}
