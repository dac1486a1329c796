import { randomUUID } from "node:crypto";
import { bootPhaseSubject, type EventBus } from "@bmi/events";
import { BootPhase, BootPhaseEvent } from "@bmi/proto/bmi/events/v1/events";
import type { BootPhaseReport, BootPhaseSink } from "../boot-phases";

const PHASES: Record<BootPhaseReport["phase"], BootPhase> = {
  "script-served": BootPhase.BOOT_PHASE_SCRIPT_SERVED,
  "boot-attempted": BootPhase.BOOT_PHASE_BOOT_ATTEMPTED,
  "boot-failed": BootPhase.BOOT_PHASE_BOOT_FAILED,
  "script-refused": BootPhase.BOOT_PHASE_SCRIPT_REFUSED,
  userspace: BootPhase.BOOT_PHASE_USERSPACE,
};

/** Boot phases as BootPhaseEvent on bmi.boot.<node>.phase, through the event bus (outbox while NATS is down). */
export class NatsPhaseSink implements BootPhaseSink {
  constructor(private readonly bus: EventBus) {}

  publish(r: BootPhaseReport): Promise<void> {
    const event = BootPhaseEvent.fromPartial({
      node: r.node, project: r.project, mac: r.mac, phase: PHASES[r.phase], time: new Date(),
      remoteAddress: r.remoteAddress, attempt: r.attempt,
    });
    return this.bus.publish(bootPhaseSubject(r.node), BootPhaseEvent.encode(event).finish(), randomUUID());
  }
}
