import { linuxSuite } from "./linux-suite";

// The whole story on the local driver (qcow2 overlays through qemu-storage-daemon's FUSE view, tgtd): first
// boot, reboot from inside, snapshot to a second node, a fresh clone, a wrong CHAP secret.
linuxSuite({ tag: "lxl", macByte: "01", full: true });
