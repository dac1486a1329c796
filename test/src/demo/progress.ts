/** Time-stamped progress lines, and the duration of each phase for the summary. */
export class Progress {
  readonly phases: Array<{ name: string; ms: number }> = [];
  private readonly t0 = Date.now();

  line(text: string): void {
    const s = ((Date.now() - this.t0) / 1000).toFixed(1).padStart(6);
    process.stdout.write(`[${s}s] ${text}\n`);
  }

  /** Runs one phase under a heading and records how long it took. */
  async phase<T>(name: string, run: () => Promise<T>): Promise<T> {
    this.line(`== ${name}`);
    const started = Date.now();
    try {
      return await run();
    } finally {
      const ms = Date.now() - started;
      this.phases.push({ name, ms });
      this.line(`   ${name}: ${(ms / 1000).toFixed(1)} s`);
    }
  }
}
