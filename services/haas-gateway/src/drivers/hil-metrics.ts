import { histogram } from "@bmi/metrics";

/**
 * HTTP requests to HIL and its OBM daemons, by method and answer (an HTTP status, or "unreachable"). Paths are
 * left out: they carry node and project names, one series each.
 */
export const hilSeconds = histogram("bmi_hil_request_seconds", "requests to HIL and its OBM daemons, by method and status", ["method", "status"]);
