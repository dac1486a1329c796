export { registry, identifyProcess, histogram, counter, gauge, timed, SECONDS } from "./registry";
export { serveMetrics, type MetricsEndpoint } from "./serve";
