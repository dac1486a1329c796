/** What one boot of a demo image printed on its serial port. */
export interface DemoBoot {
  marker: string;
  /** The counter it read from its disk. */
  counter: number;
  /** The counter it wrote back and read again; undefined when the write did not complete. */
  saved?: number;
  /** "read", "write", ... with the BIOS status, when the boot sector reported a disk error. */
  error?: string;
}

const BOOTED = /BMI-DEMO marker=([A-Za-z0-9._-]+) counter=(\d+)/;
const SAVED = /BMI-DEMO saved counter=(\d+)/;
const FAILED = /BMI-DEMO error ([a-z ]+ ah=[0-9A-F]{2})/;

/** Matches once the demo image has finished (saved or failed); for bootVm's `until`. */
export const DEMO_DONE = /BMI-DEMO (saved counter=\d+|error [a-z ]+ ah=[0-9A-F]{2})/;

/** The demo image's report in a serial log (SeaBIOS and iPXE lines around it are ignored). */
export function parseDemoSerial(serial: string): DemoBoot | undefined {
  const booted = BOOTED.exec(serial);
  if (!booted) return undefined;
  const saved = SAVED.exec(serial);
  const failed = FAILED.exec(serial);
  return {
    marker: booted[1] ?? "",
    counter: Number(booted[2]),
    ...(saved ? { saved: Number(saved[1]) } : {}),
    ...(failed ? { error: failed[1] ?? "" } : {}),
  };
}
