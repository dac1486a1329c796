import { InvalidArgumentError } from "@bmi/errors";
import type { NewJob } from "../engine/store";
import type { JobSpec } from "../engine/types";
import type { NodeInput, ProvisionOptions } from "./inputs";
import { newJobId } from "./job-factory";

export interface BulkInput {
  /** Either a list of nodes... */
  specs?: NodeInput[];
  /** ...or N free nodes picked by the orchestrator. */
  free?: { count: number; image: string; network?: string };
  /** 0: the orchestrator's default. */
  maxParallel: number;
  /** 0: no minimum: the nodes that succeed stay provisioned whatever the others do. */
  minSuccess: number;
  /** Every node must succeed or every one is rolled back (minSuccess becomes the node count). */
  allOrNothing?: boolean;
  options: ProvisionOptions;
}

/** BulkDeprovision's: the nodes (or every node the project has provisioned) and DeprovisionNode's options. */
export interface BulkDeprovisionInput {
  nodes: string[];
  all?: boolean;
  deleteDisk: boolean;
  releaseNode: boolean;
  /** 0: the orchestrator's default. */
  maxParallel: number;
}

export const MAX_BULK = 10_000;

/**
 * The bulk job over its children: they become runnable `maxParallel` at a time, in order. `spec` is the parent's
 * own (a bulk deprovision says so: `childKind`).
 */
export function planBulk(project: string, principal: string, children: NewJob[],
  input: Pick<BulkInput, "maxParallel" | "minSuccess" | "allOrNothing">, defaultMaxParallel: number, spec: JobSpec = {}): NewJob {
  const total = children.length;
  if (total === 0) throw new InvalidArgumentError("a bulk job needs at least one node");
  if (total > MAX_BULK) throw new InvalidArgumentError(`a bulk job takes at most ${MAX_BULK} nodes`);
  if (input.minSuccess > total) throw new InvalidArgumentError(`min_success ${input.minSuccess} is more than the ${total} nodes`);
  if (input.allOrNothing && input.minSuccess !== 0 && input.minSuccess !== total) {
    throw new InvalidArgumentError(`all_or_nothing needs every one of the ${total} nodes; min_success ${input.minSuccess} says otherwise`);
  }
  const id = newJobId();
  for (const c of children) c.parent = id;
  return {
    id, kind: "BULK", project, node: "", parent: "", spec, steps: [], principal, idempotencyKey: "",
    total, maxParallel: Math.min(total, input.maxParallel || defaultMaxParallel), minSuccess: input.allOrNothing ? total : input.minSuccess,
    provMode: "none", provExpect: "",
  };
}
