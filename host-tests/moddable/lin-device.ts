// The lin firmware as a device with a bootloader: each run that ends with a
// reset (exit 75: Update, Reboot, Factory Reset) or a crash (70) is followed
// by the next run on the same state (its flash directory), as a board's
// bootloader would start it again (firmware/platform/lin/ota-boot.ts).
import { LinFirmware } from './lin-run';
import type { Sdk } from './sdk';

/** Exit statuses of firmware/platform/lin/ota-boot.ts: a requested reset, a crash at start. */
export const EXIT_RESTART = 75;
export const EXIT_CRASH = 70;
/** Runs one device may have in a test before the harness stops restarting it (a boot loop). */
const MAX_RUNS = 10;

export class LinDevice {
  runs: LinFirmware[] = [];
  /** When each run ended and how (ms since the epoch). */
  ends: Array<{ at: number; code: number | null }> = [];
  starts: number[] = [];
  private stopped = false;

  constructor(private readonly sdk: Sdk, private readonly so: string, private readonly name: string) {}

  get current(): LinFirmware { return this.runs[this.runs.length - 1]!; }

  start(): void {
    const run = LinFirmware.start(this.sdk, this.so, `${this.name} #${this.runs.length + 1}`);
    this.runs.push(run);
    this.starts.push(Date.now());
    void run.proc.exited.then(() => {
      this.ends.push({ at: Date.now(), code: run.proc.exitCode });
      const code = run.proc.exitCode;
      if (!this.stopped && (code === EXIT_RESTART || code === EXIT_CRASH) && this.runs.length < MAX_RUNS) this.start();
    });
  }

  /** Every firmware log line of every run, in order. */
  logLines(): string[] { return this.runs.flatMap((r) => r.logLines()); }
  log(): string { return this.runs.map((r, i) => `--- run ${i + 1}\n${r.proc.log(60)}`).join('\n'); }
  xsErrors(): string[] { return this.runs.flatMap((r) => r.xsErrors()); }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.current?.stop();
  }
}
