export * from "./fields";
export * from "./load";
export * from "./common";
export * from "./explain";
export * from "./checks";
