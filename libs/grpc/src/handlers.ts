import type { CallContext } from "./context";

type ReqOf<M> = M extends { requestDeserialize: (b: Buffer) => infer R } ? R : never;
type ResOf<M> = M extends { responseSerialize: (r: infer R) => Buffer } ? R : never;

/** A handler is a plain async function (or async generator for server streaming) of the request and the context. */
export type Handler<M> = M extends { requestStream: true; responseStream: true }
  ? (requests: AsyncIterable<ReqOf<M>>, ctx: CallContext) => AsyncIterable<ResOf<M>>
  : M extends { requestStream: true }
    ? (requests: AsyncIterable<ReqOf<M>>, ctx: CallContext) => Promise<ResOf<M>>
    : M extends { responseStream: true }
      ? (request: ReqOf<M>, ctx: CallContext) => AsyncIterable<ResOf<M>>
      : (request: ReqOf<M>, ctx: CallContext) => Promise<ResOf<M>>;

/** Handlers for every method of a ts-proto service definition (e.g. `typeof ImageServiceService`). */
export type Handlers<D> = { [K in keyof D]: Handler<D[K]> };

export interface MethodDefinitionLike {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}
