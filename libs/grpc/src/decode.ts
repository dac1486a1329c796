import { InvalidArgumentError } from "@bmi/errors";

/** A request message protobuf could not decode; the method's edge answers INVALID_ARGUMENT for it. */
export class UndecodableRequest {
  constructor(readonly reason: string) {}
}

// grpc-js answers INTERNAL for every request its deserializer throws on, and ts-proto's decode throws on well-formed
// protobuf too (an int64 beyond 2^53, such as a Timestamp's seconds: the fuzzer sent one). It is the caller's bad
// request, so the deserializer hands over a marker instead and the call ends with INVALID_ARGUMENT.
export function lenientDecoding<D extends object>(definition: D): D {
  return Object.fromEntries(Object.entries(definition).map(([key, def]) => {
    const decode = (def as { requestDeserialize(b: Buffer): unknown }).requestDeserialize;
    const requestDeserialize = (b: Buffer) => {
      try {
        return decode(b);
      } catch (err) {
        return new UndecodableRequest((err as Error).message);
      }
    };
    return [key, { ...def, requestDeserialize }];
  })) as D;
}

/** Throws INVALID_ARGUMENT for a request that could not be decoded; answers it otherwise. */
export function decoded<T>(request: T): T {
  if (request instanceof UndecodableRequest) throw new InvalidArgumentError(`the request could not be decoded: ${request.reason}`);
  return request;
}

/** The messages of a client stream, each as `decoded` answers it. */
export async function* decodedStream<T>(messages: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const m of messages) yield decoded(m);
}
