import path from "node:path";
import { REPO_ROOT } from "@bmi/testing";
/** Who runs a row: alice is a member of p1 (the default), bob of p2 only, admin may do anything. */
export type Who = "alice" | "bob" | "admin";

/** One failure of one command: what it is, how to cause it, the exit code the README documents and the line. */
export interface Row {
  kind: "usage" | "invalid argument" | "not found" | "conflict" | "precondition" | "permission" | "local file" | "job failed";
  args: string[];
  exit: number;
  line: RegExp;
  as?: Who;
  env?: Record<string, string>;
}

export interface CommandRows {
  /** Arguments that pass the CLI's own checks and reach a service: the rows every command gets start from them. */
  reaches: string[];
  as?: Who;
  rows: Row[];
}

/** What the rows refer to: made by the test's before() hook. */
export interface Fixtures {
  /** A finished job of p1 (provisioning cx1). */
  job: string;
  /** A local image file, a path that does not exist, a directory, and a directory for downloads. */
  file: string;
  missing: string;
  dir: string;
  downloads: string;
  /** Node inventories: one new node; a node that exists; a bad name; and YAML that is no list. */
  inventory: string;
  inventoryTaken: string;
  inventoryBadName: string;
  notAList: string;
}

const BAD = "../x";
// A shipped cluster template (its images need not exist: the rows stop before any job).
const HPC = path.join(REPO_ROOT, "deploy", "clusters", "hpc.yaml");
const invalid = (kind: string, args: string[], as?: Who): Row =>
  ({ kind: "invalid argument", args, exit: 2, line: new RegExp(`${kind} name "\\.\\./x" is invalid`), ...(as ? { as } : {}) });
const missing = (args: string[], what: string): Row => ({ kind: "usage", args, exit: 2, line: new RegExp(`missing ${what}`) });
// Another project's things are NOT_FOUND for bob (a member of p2 only): not told apart from things that do not exist.
const hidden = (args: string[], line = /project p1 not found/): Row => ({ kind: "permission", args, as: "bob", exit: 3, line });
const notFound = (args: string[], line: RegExp, as?: Who): Row => ({ kind: "not found", args, exit: 3, line, ...(as ? { as } : {}) });
// Disks and snapshots of disks are made and removed by the orchestrator's jobs; only admins call them directly.
const INTERNAL = /is internal to BMI: only orchestrator or an admin may call it/;
const NEEDS_ADMIN = /needs an admin|is an admin operation/;

/** Every command of the CLI (`bmi help --json`) and its failures; a command missing here fails the test. */
export function failureTable(f: Fixtures): Record<string, CommandRows> {
  const dl = (name: string) => `${f.downloads}/${name}`;
  return {
    pro: { reaches: ["cx2", "golden"], rows: [
      missing(["cx2"], "IMAGE"), missing([], "NODE"), invalid("node", [BAD, "golden"]),
      { kind: "job failed", args: ["cx2", "nosuch"], exit: 1, line: /image p1\/nosuch not found/ },
      { kind: "job failed", args: ["nosuchnode", "golden"], exit: 1, line: /check_node: node nosuchnode is not registered/ },
      { kind: "conflict", args: ["cx1", "golden"], exit: 4, line: /cx1 is already provisioned/ }, hidden(["cx2", "golden"])] },
    dpro: { reaches: ["cx1"], rows: [
      missing([], "NODE"), invalid("node", [BAD]), notFound(["cx2"], /node cx2 is not provisioned in project p1/), hidden(["cx1"])] },
    repro: { reaches: ["cx1", "d1"], rows: [
      missing(["cx1"], "DISK"), invalid("disk", ["cx1", BAD]), hidden(["cx1", "d1"]),
      { kind: "job failed", args: ["cx1", "nosuchdisk"], exit: 1, line: /disk p1\/nosuchdisk not found/ }] },
    ls: { reaches: [], rows: [
      { kind: "usage", args: [], env: { BMI_PROJECT: "" }, exit: 2, line: /no project: use --project or set BMI_PROJECT/ },
      invalid("project", ["-p", BAD]), hidden([])] },
    bulk: { reaches: ["--count", "1", "--image", "golden"], rows: [
      { kind: "usage", args: [], exit: 2, line: /give a spec FILE, or --count N and --image IMAGE/ },
      { kind: "usage", args: ["--count", "x", "--image", "golden"], exit: 2, line: /--count x: a whole number expected/ },
      { kind: "invalid argument", args: ["--count", "1", "--image", BAD], exit: 2, line: /image name "\.\." is invalid/ },
      { kind: "conflict", args: ["--count", "5", "--image", "golden"], exit: 4, line: /only \d+ of the \d+ unallocated nodes (are free|match \(any\)), 5 requested/ },
      { kind: "usage", args: [f.inventory, "--dry-run"], exit: 2, line: /--dry-run, --selector, --placement and --min-count go with --count N/ },
      { kind: "usage", args: ["--count", "1", "--image", "golden", "--placement", "tight"], exit: 2, line: /--placement tight: spread or pack/ },
      { kind: "invalid argument", args: ["--count", "1", "--image", "golden", "--selector", "cpus>=many"], exit: 2, line: /"many" is not a number/ },
      { kind: "local file", args: [f.missing], exit: 2, line: /cannot read .*nothing-here: no such file$/ },
      { kind: "local file", args: [f.notAList], exit: 2, line: /expected a list of nodes/ }, hidden(["--count", "1", "--image", "golden"]),
      { kind: "usage", args: ["--retry-failed", f.job, "--count", "1"], exit: 2, line: /--retry-failed JOB takes no spec FILE or --count/ },
      notFound(["--retry-failed", "jnosuch"], /job jnosuch not found/), notFound(["--retry-failed", f.job], /not found/, "bob"),
      { kind: "precondition", args: ["--retry-failed", f.job], exit: 4, line: /job \S+ is not a bulk job/ }] },
    "bulk-dpro": { reaches: ["cx1"], rows: [
      { kind: "usage", args: [], exit: 2, line: /missing NODE\.\.\. \(or --all\)/ },
      { kind: "usage", args: ["cx1", "--all"], exit: 2, line: /give NODE\.\.\. or --all, not both/ },
      { kind: "usage", args: ["cx1", "--max-parallel", "x"], exit: 2, line: /--max-parallel x: a whole number expected/ },
      invalid("node", ["cx1", BAD]), { kind: "invalid argument", args: ["cx1", "cx1"], exit: 2, line: /node cx1 is named twice/ },
      // One node not provisioned in p1 refuses the whole request: cx1 stays provisioned (the table's last test checks).
      notFound(["cx1", "cx2"], /node cx2 is not provisioned in project p1/), hidden(["cx1"]),
      { kind: "usage", args: ["--retry-failed", f.job, "cx1"], exit: 2, line: /--retry-failed JOB takes no NODE, --all, --delete-disk or --release/ },
      notFound(["--retry-failed", "jnosuch"], /job jnosuch not found/), notFound(["--retry-failed", f.job], /not found/, "bob"),
      { kind: "precondition", args: ["--retry-failed", f.job], exit: 4, line: /job \S+ is not a bulk deprovision$/ }] },
    "job ls": { reaches: [], rows: [
      { kind: "usage", args: ["--state", "bogus"], exit: 2, line: /--state bogus: one of/ },
      { kind: "usage", args: ["--limit", "x"], exit: 2, line: /--limit x: a whole number expected/ }, hidden([])] },
    "job show": { reaches: [f.job], rows: [
      missing([], "ID"), notFound(["jnosuch"], /job jnosuch not found/), notFound([f.job], /not found/, "bob")] },
    "job watch": { reaches: [f.job, "--from-start"], rows: [
      missing([], "ID"), notFound(["jnosuch"], /^bmi: job jnosuch not found$/), notFound([f.job], /not found/, "bob")] },
    "job cancel": { reaches: [f.job], rows: [
      missing([], "ID"), notFound(["jnosuch"], /job jnosuch not found/), notFound([f.job], /not found/, "bob"),
      { kind: "precondition", args: [f.job], exit: 4, line: /already ended SUCCEEDED/ }] },
    "image ls": { reaches: [], rows: [invalid("project", ["-p", BAD]), hidden([])] },
    "image show": { reaches: ["golden"], rows: [
      missing([], "NAME"), invalid("image", [BAD]), notFound(["nosuch"], /image p1\/nosuch not found/), notFound(["golden"], /not found/, "bob")] },
    "image import": { reaches: ["x", "--file", "/nonexistent.raw"], as: "admin", rows: [
      { kind: "usage", args: ["x"], exit: 2, line: /--file PATH or --ceph POOL\/IMAGE/ },
      { kind: "usage", args: ["x", "--ceph", "bad"], exit: 2, line: /--ceph bad: use POOL\/IMAGE/ },
      { kind: "permission", args: ["x", "--file", "/nonexistent.raw"], exit: 5, line: NEEDS_ADMIN },
      notFound(["x", "--file", "/nonexistent.raw"], /file \/nonexistent.raw not found/, "admin"),
      { kind: "conflict", args: ["golden", "--file", f.file], as: "admin", exit: 4, line: /image p1\/golden already exists/ },
      { kind: "invalid argument", args: ["x", "--file", "rel.raw"], as: "admin", exit: 2, line: /must be an absolute, normalized path/ },
      invalid("image", [BAD, "--file", f.file], "admin")] },
    "image upload": { reaches: ["up", f.file], rows: [
      missing(["up"], "FILE"), invalid("image", [BAD, f.file]),
      { kind: "usage", args: ["up", f.file, "--format", "vmdk"], exit: 2, line: /--format vmdk: raw or qcow2/ },
      { kind: "conflict", args: ["golden", f.file], exit: 4, line: /^bmi: image p1\/golden already exists$/ },
      { kind: "local file", args: ["up", f.missing], exit: 2, line: /cannot read .*nothing-here: no such file$/ },
      { kind: "local file", args: ["up", f.dir], exit: 2, line: /cannot read .*: is a directory$/ }, hidden(["up", f.file])] },
    "image download": { reaches: ["golden", dl("reach.raw")], rows: [
      missing(["golden"], "FILE"), invalid("image", [BAD, dl("x.raw")]), notFound(["nosuch", dl("x.raw")], /image p1\/nosuch not found/),
      notFound(["golden", dl("x.raw")], /not found/, "bob"),
      { kind: "local file", args: ["golden", `${f.missing}/out.raw`], exit: 2, line: /^bmi: cannot write .*nothing-here\/out.raw: no such directory$/ },
      { kind: "local file", args: ["golden", f.dir], exit: 2, line: /cannot write .*: is a directory$/ }] },
    "image cp": { reaches: ["golden", "x"], rows: [
      missing(["golden"], "NEW_NAME"), invalid("image", ["golden", BAD]), notFound(["nosuch", "x"], /image p1\/nosuch not found/),
      { kind: "conflict", args: ["golden", "s1"], exit: 4, line: /image p1\/s1 already exists/ },
      { kind: "permission", args: ["golden", "x", "--to-project", "p2"], exit: 3, line: /project p2 not found/ },
      notFound(["golden", "x"], /not found/, "bob")] },
    "image mv": { reaches: ["golden", "x"], rows: [
      missing(["golden"], "NEW_NAME"), invalid("image", ["golden", BAD]), notFound(["nosuch", "x"], /image p1\/nosuch not found/),
      { kind: "conflict", args: ["golden", "s1"], exit: 4, line: /image p1\/s1 already exists/ }, hidden(["golden", "x"])] },
    "image rm": { reaches: ["golden"], rows: [
      missing([], "NAME"), invalid("image", [BAD]), notFound(["nosuch"], /image p1\/nosuch not found/),
      { kind: "precondition", args: ["golden"], exit: 4, line: /image p1\/golden has \d disk\(s\); delete them first/ }, hidden(["golden"])] },
    "image public": { reaches: ["golden"], rows: [
      missing([], "NAME"), invalid("image", [BAD]), notFound(["nosuch"], /image p1\/nosuch not found/), hidden(["golden"])] },
    "disk create": { reaches: ["d2", "golden"], as: "admin", rows: [
      missing(["d2"], "IMAGE"), invalid("disk", [BAD, "golden"], "admin"), notFound(["d2", "nosuch"], /image p1\/nosuch not found/, "admin"),
      { kind: "conflict", args: ["d1", "s1"], as: "admin", exit: 4, line: /disk p1\/d1 exists with image p1\/golden/ },
      { kind: "permission", args: ["d2", "golden"], exit: 5, line: INTERNAL }] },
    "disk ls": { reaches: [], rows: [invalid("project", ["-p", BAD]), hidden([])] },
    "disk rm": { reaches: ["d1"], as: "admin", rows: [
      missing([], "NAME"), invalid("disk", [BAD], "admin"), notFound(["nosuch"], /disk p1\/nosuch not found/, "admin"),
      { kind: "permission", args: ["d1"], exit: 5, line: INTERNAL }] },
    "snap create": { reaches: ["cx1", "s2"], rows: [
      missing(["cx1"], "NAME"), invalid("image", ["cx1", BAD]), notFound(["cx2", "s2"], /node cx2 is not provisioned in project p1/),
      notFound(["--disk", "nosuch", "s2"], /disk p1\/nosuch not found/, "admin"),
      { kind: "conflict", args: ["--disk", "d1", "s1"], as: "admin", exit: 4, line: /image p1\/s1 already exists/ },
      hidden(["cx1", "s2"]), { kind: "permission", args: ["--disk", "d1", "s2"], exit: 5, line: INTERNAL }] },
    "snap ls": { reaches: [], rows: [invalid("project", ["-p", BAD]), hidden([])] },
    "snap rm": { reaches: ["s1"], rows: [
      missing([], "NAME"), invalid("image", [BAD]), notFound(["nosuch"], /image p1\/nosuch not found/), hidden(["s1"])] },
    "target show": { reaches: ["cx1"], rows: [
      missing([], "NODE"), invalid("node", [BAD]), notFound(["cx2"], /node cx2 has no target: it is not provisioned/),
      hidden(["cx1"], /node cx1 not found/)] },
    "node ls": { reaches: [], rows: [
      { kind: "permission", args: ["--all"], exit: 5, line: NEEDS_ADMIN },
      hidden([])] },
    "node show": { reaches: ["cx1"], rows: [
      missing([], "NAME"), invalid("node", [BAD]), notFound(["nosuch"], /node nosuch is not registered/),
      hidden(["cx1"], /node cx1 not found/)] },
    "node register": { reaches: ["cx9", "--nic", "eth0=52:54:00:00:09:01"], as: "admin", rows: [
      { kind: "usage", args: ["cx9"], exit: 2, line: /at least one --nic LABEL=MAC/ },
      { kind: "usage", args: ["cx9", "--nic", "eth0=zz"], exit: 2, line: /MAC address "zz" is invalid/ },
      { kind: "usage", args: ["cx9", "--nic", "eth0=52:54:00:00:09:01", "--power", "bogus"], exit: 2, line: /--power bogus: not a URL/ },
      { kind: "permission", args: ["cx9", "--nic", "eth0=52:54:00:00:09:01"], exit: 5, line: NEEDS_ADMIN },
      { kind: "conflict", args: ["cx1", "--nic", "eth0=52:54:00:00:09:01"], as: "admin", exit: 4, line: /node cx1 is already registered/ },
      { kind: "conflict", args: ["cx9", "--nic", "eth0=52:54:00:00:00:01"], as: "admin", exit: 4, line: /MAC address 52:54:00:00:00:01 is already registered/ },
      invalid("node", [BAD, "--nic", "eth0=52:54:00:00:09:01"], "admin")] },
    "node set": { reaches: ["cx2", "--meta", "k=v"], as: "admin", rows: [
      missing([], "NAME"),
      { kind: "usage", args: ["cx2"], as: "admin", exit: 2, line: /nothing to change: give --nic, --power or --meta/ },
      { kind: "usage", args: ["cx2", "--ipmi-password-file", "x"], as: "admin", exit: 2, line: /--ipmi-password-file needs --power ipmi/ },
      { kind: "local file", args: ["cx2", "--power", "ipmi://u@h", "--ipmi-password-file", f.missing], as: "admin", exit: 2,
        line: /cannot read IPMI password from .*nothing-here: ENOENT/ },
      { kind: "permission", args: ["cx2", "--meta", "k=v"], exit: 5, line: NEEDS_ADMIN },
      notFound(["nosuch", "--meta", "k=v"], /node nosuch is not registered/, "admin")] },
    "node label": { reaches: ["cx2", "rack=r1"], as: "admin", rows: [
      missing([], "NAME"), missing(["cx2"], "K=V"),
      { kind: "usage", args: ["cx2", "gpu"], as: "admin", exit: 2, line: /gpu: use K=V to set, K- to remove/ },
      { kind: "invalid argument", args: ["cx2", "cpus=many"], as: "admin", exit: 2, line: /capability cpus must be a whole number, not "many"/ },
      { kind: "invalid argument", args: ["cx2", "rack=a b"], as: "admin", exit: 2, line: /rack "a b" is not a name/ },
      { kind: "permission", args: ["cx2", "rack=r1"], exit: 5, line: NEEDS_ADMIN },
      notFound(["nosuch", "rack=r1"], /node nosuch is not registered/, "admin")] },
    "node power": { reaches: ["status", "cx1"], rows: [
      missing([], "on\\|off\\|cycle\\|status"), missing(["on"], "NODE"),
      { kind: "usage", args: ["reboot", "cx1"], exit: 2, line: /reboot: on, off, cycle or status/ },
      invalid("node", ["on", BAD]), notFound(["on", "cx2"], /node cx2 not found/), hidden(["on", "cx1"]), hidden(["status", "cx1"]),
      { kind: "precondition", args: ["cycle", "cx1", "--force"], exit: 4, line: /node cx1 has no power control registered/ }] },
    "node bootdev": { reaches: ["cx1", "pxe"], rows: [
      missing([], "NODE"), missing(["cx1"], "pxe\\|disk"),
      { kind: "usage", args: ["cx1", "floppy"], exit: 2, line: /floppy: pxe or disk/ },
      invalid("node", [BAD, "disk"]), notFound(["cx2", "disk"], /node cx2 not found/), hidden(["cx1", "disk"]),
      { kind: "precondition", args: ["cx1", "disk"], exit: 4, line: /node cx1 has no power control registered/ }] },
    "node unregister": { reaches: ["cx2"], as: "admin", rows: [
      missing([], "NAME"), invalid("node", [BAD], "admin"), notFound(["nosuch"], /node nosuch is not registered/, "admin"),
      { kind: "precondition", args: ["cx1"], as: "admin", exit: 4, line: /node cx1 is provisioned \(project p1\): deprovision it first/ },
      { kind: "permission", args: ["cx2"], exit: 5, line: NEEDS_ADMIN }] },
    "node import": { reaches: [f.inventory], as: "admin", rows: [
      missing([], "FILE"),
      { kind: "local file", args: [f.missing], exit: 2, line: /cannot read .*nothing-here: no such file$/ },
      { kind: "local file", args: [f.dir], exit: 2, line: /cannot read .*: is a directory$/ },
      { kind: "local file", args: [f.notAList], exit: 2, line: /expected a list of nodes/ },
      { kind: "permission", args: [f.inventory], exit: 5, line: /1 of 1 nodes not registered: cx9: RegisterNode needs an admin/ },
      { kind: "conflict", args: [f.inventoryTaken], as: "admin", exit: 4, line: /1 of 1 nodes not registered: cx1: node cx1 is already registered/ },
      { kind: "invalid argument", args: [f.inventoryBadName], as: "admin", exit: 2, line: /node name "\.\.\/x" is invalid/ }] },
    "target-host ls": { reaches: [], as: "admin", rows: [{ kind: "permission", args: [], exit: 5, line: NEEDS_ADMIN }] },
    "target-host drain": { reaches: ["nosuch"], as: "admin", rows: [missing([], "HOST"), invalid("target host", [BAD], "admin"),
      notFound(["nosuch"], /target host nosuch is not registered/, "admin"), { kind: "permission", args: ["nosuch"], exit: 5, line: NEEDS_ADMIN }] },
    "target-host undrain": { reaches: ["nosuch"], as: "admin", rows: [missing([], "HOST"), invalid("target host", [BAD], "admin"),
      notFound(["nosuch"], /target host nosuch is not registered/, "admin"), { kind: "permission", args: ["nosuch"], exit: 5, line: NEEDS_ADMIN }] },
    "target-host evacuate": { reaches: ["nosuch"], as: "admin", rows: [missing([], "HOST"), invalid("target host", [BAD], "admin"),
      notFound(["nosuch"], /target host nosuch is not registered/, "admin"), { kind: "permission", args: ["nosuch"], exit: 5, line: NEEDS_ADMIN }] },
    limits: { reaches: [], as: "admin", rows: [{ kind: "permission", args: [], exit: 5, line: NEEDS_ADMIN }] },
    "quota show": { reaches: [], rows: [invalid("project", ["-p", BAD]), hidden([])] },
    "quota set": { reaches: ["nodes=5"], as: "admin", rows: [
      missing([], "NAME=LIMIT"),
      { kind: "usage", args: ["bogus=1"], exit: 2, line: /bogus=1: use NAME=LIMIT with NAME one of nodes, disks/ },
      { kind: "usage", args: ["nodes=1G"], exit: 2, line: /nodes=1G: a whole number or "unlimited"/ },
      { kind: "usage", args: ["nodes=1", "nodes=2"], exit: 2, line: /a quota is named twice/ },
      { kind: "permission", args: ["nodes=5"], exit: 5, line: NEEDS_ADMIN }, invalid("project", ["-p", BAD, "nodes=5"], "admin")] },
    "lease create": { reaches: ["--count", "1", "--image", "golden", "--duration", "1h", "--dry-run"], rows: [
      { kind: "usage", args: [], exit: 2, line: /--count N and --image IMAGE are required/ },
      { kind: "usage", args: ["--count", "1", "--image", "golden"], exit: 2, line: /give --end TIME or --duration SPAN/ },
      { kind: "usage", args: ["--count", "1", "--image", "golden", "--duration", "soon"], exit: 2, line: /--duration soon: a span like 30m, 2h, 7d/ },
      { kind: "usage", args: ["--count", "1", "--image", "golden", "--end", "whenever"], exit: 2, line: /--end whenever: a span from now like 30m/ },
      { kind: "invalid argument", args: ["--count", "1", "--image", "golden", "--duration", "1h", "--selector", "a b"], exit: 2, line: /selector term "a b"/ },
      { kind: "invalid argument", args: ["--count", "1", "--image", "golden", "--end", "2001-01-01T00:00:00Z"], exit: 2, line: /a lease must end after it starts and after now/ },
      { kind: "invalid argument", args: ["--count", "1", "--image", BAD, "--duration", "1h"], exit: 2, line: /image name "\.\." is invalid/ },
      { kind: "precondition", args: ["--count", "50", "--image", "golden", "--duration", "1h"], exit: 4, line: /only \d+ of the \d+ unallocated nodes (are free|match \(any\)), 50 requested/ },
      hidden(["--count", "1", "--image", "golden", "--duration", "1h"])] },
    "lease ls": { reaches: [], rows: [invalid("project", ["-p", BAD]), hidden([])] },
    "lease show": { reaches: ["lnosuch"], rows: [
      missing([], "ID"), notFound(["lnosuch"], /lease lnosuch not found/),
      { kind: "invalid argument", args: [BAD], exit: 2, line: /lease id "\.\.\/x" is invalid/ }] },
    "lease extend": { reaches: ["lnosuch", "--end", "+1h"], rows: [
      missing([], "ID"), { kind: "usage", args: ["lnosuch"], exit: 2, line: /give --by SPAN or --end TIME/ },
      { kind: "usage", args: ["lnosuch", "--by", "x"], exit: 2, line: /--by x: a span like 30m, 2h, 7d/ },
      notFound(["lnosuch", "--end", "+1h"], /lease lnosuch not found/)] },
    "lease end": { reaches: ["lnosuch"], rows: [missing([], "ID"), notFound(["lnosuch"], /lease lnosuch not found/)] },
    "cluster up": { reaches: ["c1", HPC, "--dry-run"], rows: [
      missing([], "NAME"), missing(["c1"], "TEMPLATE"),
      { kind: "local file", args: ["c1", f.missing], exit: 2, line: /cannot read .*nothing-here: no such file$/ },
      { kind: "usage", args: ["c1", HPC, "--count", "nosuch=2"], exit: 2, line: /--count nosuch=2: use ROLE=VALUE with a role of/ },
      { kind: "invalid argument", args: ["c1", f.notAList], exit: 2, line: /cluster template: no name \(a mapping with name and roles\)/ },
      invalid("cluster", [BAD, HPC]),
      { kind: "precondition", args: ["c1", HPC, "--count", "compute=40"], exit: 4, line: /role compute: only \d+ of the \d+ unallocated nodes/ },
      hidden(["c1", HPC, "--dry-run"])] },
    "cluster ls": { reaches: [], rows: [invalid("project", ["-p", BAD]), hidden([])] },
    "cluster show": { reaches: ["c1"], rows: [missing([], "NAME"), notFound(["c1"], /cluster c1 not found in project p1/), hidden(["c1"])] },
    "cluster scale": { reaches: ["c1", "compute=2"], rows: [
      missing([], "NAME"), missing(["c1"], "ROLE=N"), { kind: "usage", args: ["c1", "compute"], exit: 2, line: /compute: use ROLE=N/ },
      notFound(["c1", "compute=2"], /cluster c1 not found in project p1/), hidden(["c1", "compute=2"])] },
    "cluster down": { reaches: ["c1"], rows: [missing([], "NAME"), notFound(["c1"], /cluster c1 not found in project p1/), hidden(["c1"])] },
    "audit ls": { reaches: [], rows: [
      { kind: "usage", args: ["--since", "yesterday"], exit: 2, line: /--since yesterday: a span like 30m, 2h, 7d or an ISO time/ },
      { kind: "usage", args: ["--limit", "5000"], exit: 2, line: /--limit 5000: 1 to 1000/ },
      invalid("project", ["-p", BAD]), hidden([])] },
    doctor: { reaches: [], as: "admin", rows: [
      { kind: "usage", args: ["extra"], exit: 2, line: /bmi doctor takes no arguments/ },
      { kind: "permission", args: [], exit: 5, line: NEEDS_ADMIN }] },
  };
}
