export * from "./health";
export * from "./service";
export * from "./ports";
export * from "./tgtd";
export * from "./qemu";
export * from "./netns";
export * from "./boot-sector";
export * from "./ceph";
