/**
 * The CLI's environment, read once here and nowhere else. Flags override it (see context.ts).
 *   BMI_ADDR        orchestrator, default 127.0.0.1:50050
 *   BMI_IMAGE_ADDR  image-service, default 127.0.0.1:50051
 *   BMI_PROJECT     project of every command that needs one
 *   BMI_TOKEN       bearer token; or BMI_USER and BMI_PASSWORD for basic credentials
 *   BMI_CA          PEM file of the CA that signs BMI's certificates (default: the system's trusted roots)
 *   BMI_PLAINTEXT   1: no TLS (a stack started with BMI_TLS=off, on loopback)
 *   BMI_DEBUG       1: a failure prints its stack trace (and causes) after its one line
 */
export interface CliEnv {
  addr: string;
  imageAddr: string;
  project: string;
  token: string;
  user: string;
  password: string;
  debug: boolean;
  ca: string;
  plaintext: boolean;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return {
    addr: env.BMI_ADDR || "127.0.0.1:50050",
    imageAddr: env.BMI_IMAGE_ADDR || "127.0.0.1:50051",
    project: env.BMI_PROJECT ?? "",
    token: env.BMI_TOKEN ?? "",
    user: env.BMI_USER ?? "",
    password: env.BMI_PASSWORD ?? "",
    debug: /^(1|true|yes)$/i.test(env.BMI_DEBUG ?? ""),
    ca: env.BMI_CA ?? "",
    plaintext: /^(1|true|yes)$/i.test(env.BMI_PLAINTEXT ?? ""),
  };
}
