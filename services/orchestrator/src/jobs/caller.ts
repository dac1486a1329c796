import { NotFoundError } from "@bmi/errors";

/** Who asks, as the gRPC edge established it, and the header to forward to the services on their behalf. */
export interface Requester {
  user: string;
  projects: string[];
  admin: boolean;
  authorization: string;
}

/**
 * A job or node of another project is NOT_FOUND, not PERMISSION_DENIED: a caller learns nothing about projects it
 * is not in.
 */
export function assertMember(who: Requester, project: string, what: string): void {
  if (who.admin || who.projects.includes(project)) return;
  throw new NotFoundError(`${what} not found`);
}
