export * from "./health";
export * from "./service";
export * from "./ports";
