import { lifecycleSuite } from "./lifecycle";

// The local image driver: qcow2 overlays exported through qemu-storage-daemon's FUSE raw view, served by tgtd.
lifecycleSuite({ tag: "loc", macByte: "01" });
