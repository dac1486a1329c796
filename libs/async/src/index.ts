export * from "./limit";
export * from "./until";
