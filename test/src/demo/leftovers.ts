import { NotFoundError } from "@bmi/errors";
import { assertSucceeded, waitJob } from "../e2e/jobs";
import type { DemoClients } from "./clients";

/**
 * Removes what a demo run leaves in the stack (or left, when an earlier run was interrupted): the nodes'
 * provisioning, every disk of theirs, the demo's images and the node registrations. Best effort and idempotent:
 * answers what it could not remove.
 */
export async function removeDemoState(c: DemoClients, project: string, nodes: string[], images: string[]): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof NotFoundError)) problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  const provisioned = (await c.orch.listProvisioned({ project }).catch(() => ({ nodes: [] }))).nodes;
  await Promise.all(provisioned.filter((p) => nodes.includes(p.node)).map((p) => attempt(`deprovision ${p.node}`, async () => {
    const { job } = await c.orch.deprovisionNode({ project, node: p.node, deleteDisk: true, releaseNode: true, idempotencyKey: "" });
    if (job) assertSucceeded(await waitJob(c.orch, job.id, 60_000));
  })));
  const disks = (await c.image.listDisks({ project }).catch(() => ({ disks: [] }))).disks;
  for (const d of disks.filter((d) => nodes.some((n) => d.name.startsWith(`${n}-`)))) {
    await attempt(`disk ${d.name}`, () => c.image.deleteDisk({ project, name: d.name }));
  }
  // A snapshot's clones are gone by now, so images go in reverse order of creation.
  for (const name of [...images].reverse()) await attempt(`image ${name}`, () => c.image.deleteImage({ project, name }));
  for (const node of nodes) await attempt(`node ${node}`, () => c.orch.unregisterNode({ name: node }));
  return problems;
}
