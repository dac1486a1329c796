import { PermissionDeniedError } from "@bmi/errors";
import type { ImageRecord } from "./storage";

/** Who is asking, as the gRPC edge established it (a @bmi/grpc Caller fits as is). */
export interface Viewer {
  user: string;
  projects: readonly string[];
  admin: boolean;
}

export function isMember(viewer: Viewer, project: string): boolean {
  return viewer.admin || viewer.projects.includes(project);
}

/** Throws PERMISSION_DENIED unless the viewer may act in `project`. */
export function assertMember(viewer: Viewer, project: string): void {
  if (!isMember(viewer, project)) throw new PermissionDeniedError(`user ${viewer.user} is not a member of project ${project}`);
}

/** Another project's private image is invisible: callers answer NOT_FOUND for it, never PERMISSION_DENIED. */
export function canSee(viewer: Viewer, image: ImageRecord): boolean {
  return image.public || isMember(viewer, image.project);
}
