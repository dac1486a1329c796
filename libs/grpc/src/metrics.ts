import { histogram } from "@bmi/metrics";

/** Every call a BMI server answered, by method (/package.Service/Method) and status code name. */
export const rpcSeconds = histogram("bmi_rpc_server_seconds", "gRPC calls served, by method and status code", ["method", "code"]);
