export * from "./tracing";
