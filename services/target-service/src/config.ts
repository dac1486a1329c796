import {
  address, bool, chassisSpec, int, list, loadServiceConfig, str, type Check, type ConfigOf, type Field,
} from "@bmi/config";

/** target-service settings (BMI_* environment variables); every one has a default that works on one host. */
export const targetSpec = {
  ...chassisSpec("BMI_TARGET", "127.0.0.1:50052"),
  imageAddr: address("BMI_TARGET_IMAGE_ADDR", { default: "127.0.0.1:50051", help: "image-service, which says what a disk is" }),
  iqnDate: pattern(str("BMI_TARGET_IQN_DATE", { default: "2026-01", help: "yyyy-mm of target IQNs" }), /^\d{4}-(0[1-9]|1[0-2])$/, "yyyy-mm"),
  iqnDomain: pattern(str("BMI_TARGET_IQN_DOMAIN", { default: "org.example.bmi", help: "reversed domain of target IQNs" }),
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, "a reversed domain name like org.example.bmi"),
  portals: portals(list("BMI_TARGET_PORTALS", { default: ["127.0.0.1:3260"], help: "host:port list tgtd listens on" })),
  advertise: portals(list("BMI_TARGET_ADVERTISE", { default: [], help: "host:port list initiators use; default: BMI_TARGET_PORTALS" })),
  tgtdControlPort: int("BMI_TGTD_CONTROL_PORT", {
    default: 7, min: 0, max: 32767, help: "tgtd control port; not 0, so a distribution's tgtd is never adopted",
  }),
  tgtdLogFile: str("BMI_TGTD_LOG_FILE", { default: "", help: "where a tgtd this service starts writes; empty: discarded" }),
  tgtdIoThreads: int("BMI_TGTD_IO_THREADS", { default: 0, min: 0, help: "tgtd -t (I/O threads per LUN); 0: tgtd's 16" }),
  tgtdIpc: bool("BMI_TGTD_IPC", {
    default: true, help: "talk to tgtd on its control socket; false: run tgtadm per request (any tgt version)",
  }),
  bindAddress: bool("BMI_TARGET_BIND_ADDRESS", {
    default: true, help: "a target's ACL becomes the address its node's boot script was fetched from (boot-service says); false where the boot network rewrites addresses",
  }),
  mutualChap: bool("BMI_TARGET_MUTUAL_CHAP", { default: false, help: "targets authenticate themselves to nodes too (an outgoing CHAP account each)" }),
  reconcileMs: int("BMI_TARGET_RECONCILE_MS", { default: 2000, min: 50, help: "how often tgtd is checked against the store" }),
  hostId: str("BMI_TARGET_HOST_ID", {
    default: "", help: "this target host's id in the host registry (several target hosts: each serves the targets placed on it); empty: the only host, serving every target",
  }),
  hostAddr: str("BMI_TARGET_HOST_ADDR", { default: "", help: "the gRPC address orchestrators reach this service at; default BMI_TARGET_LISTEN" }),
  hostCapacity: int("BMI_TARGET_HOST_CAPACITY", { default: 1000, min: 1, help: "targets the orchestrators may place on this host" }),
  heartbeatMs: int("BMI_TARGET_HEARTBEAT_MS", { default: 2000, min: 50, help: "how often this host renews its registration; it counts as dead after three" }),
};

export type TargetConfig = ConfigOf<typeof targetSpec>;

/** Rules between target-service's settings. */
export const targetChecks: Array<Check<TargetConfig>> = [
  (cfg) => {
    // tgtd listens on every address, but initiators must be told one they can reach.
    const wildcard = cfg.portals.filter((p) => p.startsWith("0.0.0.0:"));
    return wildcard.length > 0 && cfg.advertise.length === 0
      ? `BMI_TARGET_PORTALS has ${wildcard.join(", ")}: set BMI_TARGET_ADVERTISE to the addresses initiators use` : undefined;
  },
];

/** Start-up: the settings from the environment, checked; exits 2 listing every problem. */
export function loadTargetConfig(): TargetConfig {
  return loadServiceConfig("target-service", targetSpec, targetChecks);
}

/** The portals initiators are told about. */
export function advertisedPortals(cfg: TargetConfig): string[] {
  return cfg.advertise.length > 0 ? cfg.advertise : cfg.portals;
}

function pattern(f: Field<string>, re: RegExp, what: string): Field<string> {
  return { ...f, parse: (raw) => {
    const v = f.parse(raw);
    if (!re.test(v)) throw new Error(`${f.env}=${v} is not ${what}`);
    return v;
  } };
}

// IPv4 or a name, and a port: what tgtd's "portal=" and iPXE's iscsi: URI both take.
function portals(f: Field<string[]>): Field<string[]> {
  return { ...f, parse: (raw) => {
    const v = f.parse(raw);
    const bad = v.filter((p) => !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(p) || Number(p.split(":")[1]) > 65535);
    if (bad.length > 0) throw new Error(`${f.env}: ${bad.join(", ")} not host:port`);
    return v;
  } };
}
