import { dieWithTest } from "./die-with-test";
export * from "./health";
export * from "./service";
export * from "./ports";
export * from "./tgtd";
export * from "./redis-sentinel";
export * from "./qemu";
export * from "./netns";
export * from "./boot-sector";
export * from "./ceph";
export * from "./iscsi-initiator";
export * from "./temp";
export * from "./pki";
export * from "./die-with-test";
// The HIL simulator: haas-gateway's tests and the cross-service tests run the hil driver against it.
export { startHilSim, type HilSim, type HilSimOptions, type HilRequestRecord } from "./hil-sim/hil-sim";
export { SimState, HilFault } from "./hil-sim/sim-state";

// Every process started by a process that uses this package dies with it, also when it is killed before its after()
// hooks run: marked, and reaped when this process goes (die-with-test.ts).
dieWithTest();
