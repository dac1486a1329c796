import { InvalidArgumentError } from "@bmi/errors";
import { validateName } from "@bmi/validate";

/** One node to provision: clone `image`, or boot the existing `disk`. */
export interface NodeInput {
  node: string;
  image?: string;
  disk?: string;
  nic?: string;
  network?: string;
}

export interface ProvisionOptions {
  powerCycle: boolean;
  waitForBoot: boolean;
  /** 0: the default (300 s). */
  bootTimeoutSeconds: number;
  /** NoCloud metadata for the node's OS (boot-service serves it to the node only); empty: the node's name, none. */
  hostname?: string;
  userData?: string;
  /** Wait for the OS to report userspace, and fail at once when sanboot fails. */
  waitForUserspace?: boolean;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An image of the project, or another project's public image as "project/name". */
export function validateImageRef(ref: string): string {
  const parts = ref.split("/");
  if (parts.length > 2) throw new InvalidArgumentError(`image ${JSON.stringify(ref)} is invalid: use name or project/name`);
  for (const p of parts) validateName("image", p);
  return ref;
}

export function validateOptions(o: ProvisionOptions): void {
  if (o.waitForBoot && !o.powerCycle) {
    // Nothing would make the node boot; waiting would only run into the timeout.
    throw new InvalidArgumentError("wait_for_boot needs power_cycle");
  }
  if (o.bootTimeoutSeconds < 0 || o.bootTimeoutSeconds > 3600) {
    throw new InvalidArgumentError("boot_timeout_seconds must be between 0 and 3600");
  }
  if (o.hostname && !HOSTNAME.test(o.hostname)) {
    throw new InvalidArgumentError(`hostname ${JSON.stringify(o.hostname.slice(0, 80))} is not an RFC 1123 host name`);
  }
  if (o.userData && Buffer.byteLength(o.userData, "utf8") > 64 * 1024) throw new InvalidArgumentError("user_data is over 64 KiB");
  if (o.waitForUserspace && !o.waitForBoot) throw new InvalidArgumentError("wait_for_userspace needs wait_for_boot");
}
