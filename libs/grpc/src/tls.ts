import { readFileSync } from "node:fs";
import { TLSSocket } from "node:tls";
import * as grpc from "@grpc/grpc-js";

/**
 * Where a process finds its TLS material: the CA that signs every BMI service certificate (and that clients trust),
 * and, for a service or a client that has one, its own certificate and key. Files are PEM.
 */
export interface TlsFiles {
  /** Absent: trust the system's roots (a site whose CA is already trusted). */
  ca?: string;
  cert?: string;
  key?: string;
}

/** The transport a service's config names: mutual TLS with its files, or plaintext when asked for explicitly. */
export type Transport = { tls: true; files: Required<TlsFiles> } | { tls: false };

interface CertificateUpdate {
  caCertificate: Buffer;
  certificate: Buffer;
  privateKey: Buffer;
}

/**
 * grpc-js's certificate-provider credentials are the only server credentials that *request* a client certificate
 * without *requiring* one: the CLI and grpcurl connect with TLS but without a certificate (their identity is the
 * authorization header), while services present theirs. The provider answers from files read at start-up, in a
 * microtask: grpc-js registers the server as a watcher only after it has added the provider's listeners, so an
 * answer given synchronously would be lost, and one given later (the library's file watcher) drops the first
 * connections.
 */
class StartupCertificates {
  constructor(private readonly update: CertificateUpdate) {}
  addCaCertificateListener(listener: (u: { caCertificate: Buffer }) => void): void {
    queueMicrotask(() => listener({ caCertificate: this.update.caCertificate }));
  }
  removeCaCertificateListener(): void { /* files are read once */ }
  addIdentityCertificateListener(listener: (u: { certificate: Buffer; privateKey: Buffer }) => void): void {
    queueMicrotask(() => listener({ certificate: this.update.certificate, privateKey: this.update.privateKey }));
  }
  removeIdentityCertificateListener(): void { /* files are read once */ }
}

/** Server credentials: TLS with a requested (not required) client certificate, or plaintext. */
export function serverCredentials(transport: Transport): grpc.ServerCredentials {
  if (!transport.tls) return grpc.ServerCredentials.createInsecure();
  const f = transport.files;
  const provider = new StartupCertificates({
    caCertificate: readFileSync(f.ca), certificate: readFileSync(f.cert), privateKey: readFileSync(f.key),
  });
  // The same provider is passed as CA and identity provider: grpc-js 1.14 swaps the two arguments internally.
  return grpc.experimental.createCertificateProviderServerCredentials(provider as never, provider as never, false);
}

/** Channel credentials: TLS that trusts the BMI CA (and presents a certificate when given one), or plaintext. */
export function channelCredentials(files: TlsFiles | undefined): grpc.ChannelCredentials {
  if (!files) return grpc.credentials.createInsecure();
  quietIpServerName();
  const ca = files.ca ? readFileSync(files.ca) : null;
  if (files.cert && files.key) return grpc.credentials.createSsl(ca, readFileSync(files.key), readFileSync(files.cert));
  return grpc.credentials.createSsl(ca);
}

/** The verified identity of each TLS connection, found once: getPeerCertificate() decodes the certificate anew. */
const identities = new WeakMap<object, string | undefined>();

type AuthContextCall = { getAuthContext?: () => { sslPeerCertificate?: { subject?: Record<string, unknown> } } | null };

/**
 * The service identity of the peer: the common name of its client certificate, only when that certificate was
 * verified against the BMI CA during the handshake (grpc-js reports nothing for an unverified one). Found once per
 * connection (the handshake is over before the first call, and TLS 1.3 has no renegotiation): decoding the peer's
 * certificate on every call was ~0.2-0.4 ms a call on this project's bench machine, the most of a small call's cost.
 */
export function peerIdentity(call: AuthContextCall): string | undefined {
  const socket = connectionOf(call);
  if (socket && identities.has(socket)) return identities.get(socket);
  const cn = call.getAuthContext?.()?.sslPeerCertificate?.subject?.CN;
  const id = typeof cn === "string" && cn !== "" ? cn : undefined;
  if (socket) identities.set(socket, id);
  return id;
}

/**
 * The TLS socket a server call arrived on, where grpc-js shows it (ServerUnaryCallImpl.call -> the intercepting
 * calls' nextCall -> the base call's stream.session.socket); undefined otherwise, and the identity is then read
 * per call as before.
 */
function connectionOf(call: unknown): object | undefined {
  let c = (call as { call?: unknown }).call as { nextCall?: unknown; stream?: { session?: { socket?: unknown } } } | undefined;
  for (let i = 0; i < 8 && c && !c.stream; i++) c = c.nextCall as typeof c;
  const socket = c?.stream?.session?.socket;
  return socket instanceof TLSSocket ? socket : undefined;
}

let quieted = false;

/**
 * BMI addresses services by IP as often as by name, and its certificates carry IP subject names, which TLS
 * verification checks. grpc-js still sends the IP as the SNI server name, and Node warns (DEP0123) that it will
 * ignore it: harmless, but the CLI promises one line per failure, so that one warning is dropped.
 */
function quietIpServerName(): void {
  if (quieted) return;
  quieted = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const code = typeof rest[0] === "object" && rest[0] !== null ? (rest[0] as { code?: unknown }).code : rest[1];
    if (code !== "DEP0123") emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
