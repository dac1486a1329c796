export { Doctor, type DoctorDeps } from "./doctor";
export { doctorHandlers } from "./handlers";
export { DriftTimer, DRIFT_SUBJECT } from "./timer";
