export { CephDriver, type CephDriverOptions } from "./driver";
