// The lin firmware as a device with a bootloader and an RTC timer: each run
// that ends with a reset (exit 75: Update, Reboot, Factory Reset) or a crash
// (70) is followed by the next run on the same state (its flash directory),
// as a board's bootloader would start it again (firmware/platform/lin/ota-boot.ts);
// a run that ends in a deep sleep (76, after `[lin] deep sleep <ms> ms`) is
// started again that much later, as the RTC timer wakes a board
// (firmware/platform/lin/deep-sleep.ts), or at once by wakeByGpio().
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { LinFirmware } from './lin-run';
import type { Sdk } from './sdk';

/** Exit statuses of firmware/platform/lin/ota-boot.ts: a requested reset, a crash at start; and of lin/deep-sleep.ts: a deep sleep. */
export const EXIT_RESTART = 75;
export const EXIT_CRASH = 70;
export const EXIT_DEEP_SLEEP = 76;
/** Resets and crashes in a row a device may have in a test before the harness stops restarting it (a boot loop); sleeps are not counted. */
const MAX_RESTARTS = 10;

export class LinDevice {
  runs: LinFirmware[] = [];
  /** When each run ended and how (ms since the epoch). */
  ends: Array<{ at: number; code: number | null }> = [];
  starts: number[] = [];
  /** Each deep sleep: when it began and how long the firmware asked for. */
  sleeps: Array<{ at: number; ms: number }> = [];
  private stopped = false;
  private restarts = 0;
  private wakeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sdk: Sdk,
    private readonly so: string,
    private readonly name: string,
    private readonly flashDirectory?: string,
  ) {}

  get current(): LinFirmware {
    return this.runs[this.runs.length - 1]!;
  }

  /** Asleep now: the last run ended in a deep sleep and the next has not started. */
  get asleep(): boolean {
    return this.wakeTimer !== undefined;
  }

  start(): void {
    const run = LinFirmware.start(this.sdk, this.so, `${this.name} #${this.runs.length + 1}`);
    this.runs.push(run);
    this.starts.push(Date.now());
    void run.proc.exited.then(() => {
      this.ends.push({ at: Date.now(), code: run.proc.exitCode });
      const code = run.proc.exitCode;
      if (this.stopped) return;
      if (code === EXIT_DEEP_SLEEP) {
        const line = run.proc.grep(/^\[lin\] deep sleep \d+ ms/).at(-1);
        const ms = Number(/(\d+) ms/.exec(line ?? '')?.[1] ?? NaN);
        if (!Number.isFinite(ms)) return;
        this.restarts = 0;
        this.sleeps.push({ at: Date.now(), ms });
        this.wakeTimer = setTimeout(() => {
          this.wakeTimer = undefined;
          this.start();
        }, ms);
        return;
      }
      if ((code === EXIT_RESTART || code === EXIT_CRASH) && ++this.restarts < MAX_RESTARTS) this.start();
    });
  }

  /** Ends a deep sleep now by the wake GPIO (the button), as lin/deep-sleep.ts tells it: false when not asleep. */
  wakeByGpio(): boolean {
    if (this.wakeTimer === undefined || this.flashDirectory === undefined) return false;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    writeFileSync(`${this.flashDirectory}xs-lwm2m-wake-gpio`, '');
    this.start();
    return true;
  }

  /** A power loss in the sleep: the RTC memory (its file) is gone; the flash file stays. */
  losePowerInSleep(): boolean {
    const rtc = `${this.flashDirectory}xs-lwm2m-rtc.bin`;
    if (this.wakeTimer === undefined || this.flashDirectory === undefined || !existsSync(rtc)) return false;
    rmSync(rtc);
    return true;
  }

  /** Every firmware log line of every run, in order. */
  logLines(): string[] {
    return this.runs.flatMap((r) => r.logLines());
  }
  log(): string {
    return this.runs.map((r, i) => `--- run ${i + 1}\n${r.proc.log(60)}`).join('\n');
  }
  xsErrors(): string[] {
    return this.runs.flatMap((r) => r.xsErrors());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.wakeTimer !== undefined) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
    }
    await this.current?.stop();
  }
}
