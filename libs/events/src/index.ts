export * from "./subjects";
export * from "./bus";
export * from "./audit-subjects";
export * from "./audit-trail";
export * from "./audit-reader";
