import { isMember, type Caller } from "@bmi/grpc";
import type { ImageRecord } from "./storage";

export { assertMember, isMember } from "@bmi/grpc";

/** Who is asking, as the gRPC edge established it (a @bmi/grpc Caller fits as is). */
export type Viewer = Pick<Caller, "user" | "admin" | "service"> & { projects: readonly string[] };

/** Another project's private image is invisible: callers answer NOT_FOUND for it (the access policy's rule). */
export function canSee(viewer: Viewer, image: ImageRecord): boolean {
  return image.public || isMember(viewer, image.project);
}
