import { histogram } from "@bmi/metrics";

/**
 * The back ends an image or disk operation waits on: librbd calls (create, clone, copy, ...), qemu-img runs
 * (info, convert) and the storage daemon's QMP commands (block-export-add, ...), by operation and outcome.
 */
export const backendSeconds = histogram("bmi_image_backend_seconds", "librbd, qemu-img and storage daemon operations, by back end, operation and outcome", ["backend", "op", "outcome"]);
