export * from "./status";
export * from "./auth";
export * from "./context";
export * from "./handlers";
export * from "./server";
export * from "./client";
export * from "./reflection";
export * from "./main";
