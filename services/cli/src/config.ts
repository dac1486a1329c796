/**
 * The CLI's environment, read once here and nowhere else. Flags override it (see context.ts).
 *   BMI_ADDR        orchestrator, default 127.0.0.1:50050
 *   BMI_IMAGE_ADDR  image-service, default 127.0.0.1:50051
 *   BMI_PROJECT     project of every command that needs one
 *   BMI_TOKEN       bearer token; or BMI_USER and BMI_PASSWORD for basic credentials
 */
export interface CliEnv {
  addr: string;
  imageAddr: string;
  project: string;
  token: string;
  user: string;
  password: string;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return {
    addr: env.BMI_ADDR || "127.0.0.1:50050",
    imageAddr: env.BMI_IMAGE_ADDR || "127.0.0.1:50051",
    project: env.BMI_PROJECT ?? "",
    token: env.BMI_TOKEN ?? "",
    user: env.BMI_USER ?? "",
    password: env.BMI_PASSWORD ?? "",
  };
}
