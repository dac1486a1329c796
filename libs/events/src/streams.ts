import type { JetStreamManager, NatsError, StreamConfig } from "nats";

/** A stream BMI keeps: what it is made with, and the part of its configuration kept up to date on every start. */
export interface StreamSpec {
  /** Made with these; an existing stream keeps its own. */
  create: Partial<StreamConfig> & { name: string; subjects: string[] };
  /** Applied to an existing stream too when it differs (limits, replicas). */
  kept: Partial<StreamConfig> & { num_replicas: number };
}

/**
 * JetStream refused to make or change a stream (more replicas than servers, a single server that is not
 * clustered, a subject overlap): a configuration problem that no retry fixes, unlike NATS being away.
 */
export class StreamRefusedError extends Error {}

const JS_CLUSTER_NOT_AVAILABLE = 10008;

/** Creates the stream, or brings an existing one to `kept` (a stream made by an older BMI, or other settings). */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  const name = spec.create.name;
  try {
    const info = await jsm.streams.info(name).catch(() => undefined);
    if (!info) {
      await jsm.streams.add({ ...spec.create, ...spec.kept });
      return;
    }
    const c = info.config as unknown as Record<string, unknown>;
    if (Object.entries(spec.kept).some(([k, v]) => c[k] !== v)) await jsm.streams.update(name, { ...info.config, ...spec.kept });
  } catch (err) {
    const api = (err as NatsError).api_error;
    // No answer, or a cluster still electing its JetStream leader (10008, "temporarily unavailable"): NATS being away.
    if (!api || api.err_code === JS_CLUSTER_NOT_AVAILABLE) throw err;
    const replicas = spec.kept.num_replicas;
    const hint = replicas > 1 ? ` (BMI_NATS_REPLICAS=${replicas} needs a JetStream cluster of at least ${replicas} servers; a single nats-server takes only 1)` : "";
    throw new StreamRefusedError(`JetStream refused stream ${name}: ${api.description} [${api.err_code}]${hint}`, { cause: err });
  }
}
