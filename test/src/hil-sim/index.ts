export { startHilSim, type HilSim, type HilSimOptions, type HilRequestRecord } from "./hil-sim";
export { SimState, HilFault } from "./sim-state";
