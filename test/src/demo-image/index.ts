export * from "./demo-image";
export * from "./demo-serial";
