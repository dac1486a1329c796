import type { BootDevice, PowerAction, PowerState } from "../node-driver";
import type { PowerControl } from "../power-control";
import { QmpClient, translateQmpError } from "@bmi/qmp";

// QEMU serves one QMP client per socket at a time: calls for the same VM queue up here instead of at the socket.
const queues = new Map<string, Promise<unknown>>();

/**
 * A VM as a node, through its QMP monitor (QEMU started with `-qmp unix:PATH,server,nowait`). "Off" pauses the
 * VM (`stop`); "on" resets and resumes it, so it boots afresh, as a real node does at power-on.
 */
export class QemuPower implements PowerControl {
  constructor(private readonly socket: string, private readonly timeoutMs = 5000) {}

  power(action: PowerAction, _force: boolean): Promise<void> {
    return this.session(async (qmp) => {
      if (action === "off") {
        await qmp.execute("stop");
        return;
      }
      if (action === "on" && (await runState(qmp)) === "running") return;
      await qmp.execute("system_reset");
      await qmp.execute("cont");
    });
  }

  status(): Promise<PowerState> {
    return this.session(async (qmp) => {
      const state = await runState(qmp);
      if (state === "running") return "on";
      if (state === "paused" || state === "prelaunch" || state === "shutdown" || state === "suspended") return "off";
      return "unknown";
    });
  }

  /** The VM's boot order is fixed on its command line (the test and demo VMs boot from the network). */
  async setBootDevice(_device: BootDevice): Promise<void> {}

  private session<T>(run: (qmp: QmpClient) => Promise<T>): Promise<T> {
    const previous = queues.get(this.socket) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const qmp = await QmpClient.connect(this.socket, { connectTimeoutMs: this.timeoutMs, commandTimeoutMs: this.timeoutMs });
      try {
        return await run(qmp);
      } catch (err) {
        throw translateQmpError(err);
      } finally {
        qmp.close();
      }
    });
    queues.set(this.socket, next);
    void next.finally(() => {
      if (queues.get(this.socket) === next) queues.delete(this.socket);
    }).catch(() => undefined);
    return next;
  }
}

async function runState(qmp: QmpClient): Promise<string> {
  const status = (await qmp.execute("query-status")) as { status?: string } | undefined;
  return status?.status ?? "unknown";
}
