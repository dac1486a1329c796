export * from "./subjects";
export * from "./bus";
export { eventsPublished } from "./bus-metrics";
export * from "./audit-subjects";
export * from "./audit-trail";
export * from "./audit-reader";
