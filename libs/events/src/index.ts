export * from "./subjects";
export * from "./bus";
export { StreamRefusedError } from "./streams";
export { eventsPublished } from "./bus-metrics";
export * from "./audit-subjects";
export * from "./audit-trail";
export * from "./audit-reader";
