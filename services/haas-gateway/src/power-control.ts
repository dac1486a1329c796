import type { BootDevice, PowerAction, PowerState } from "./node-driver";

/** Power for one node, as the standalone driver needs it; drivers/power-ipmi.ts and drivers/power-qemu.ts. */
export interface PowerControl {
  power(action: PowerAction, force: boolean): Promise<void>;
  status(): Promise<PowerState>;
  setBootDevice(device: BootDevice): Promise<void>;
}
