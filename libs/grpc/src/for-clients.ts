// What a gRPC client of BMI's services needs and nothing of the server side (its metrics, reflection, audit and
// service runner): the `bmi` CLI imports this (@bmi/grpc/client) so that it starts without loading them.
export * from "./client";
export * from "./status";
export * from "./auth";
export * from "./tls";
