// RetainedMemory on Node (ports.ts): memory that outlives one client in the
// process, as RTC memory outlives the program across a deep sleep; a power
// loss (powerLoss()) takes it. The time slept is measured on the given clock
// (virtual time in tests).
import type { RetainedMemory, Timers } from '../ports';

export class MemoryRetainedMemory implements RetainedMemory {
  private kept: { bytes: Uint8Array; at: number } | undefined;
  /** Writes so far (each is a radio-off with the session kept). */
  writes = 0;

  constructor(
    readonly capacity: number,
    private readonly clock: Pick<Timers, 'now'>,
  ) {}

  get holds(): boolean {
    return this.kept !== undefined;
  }

  take(): { bytes: Uint8Array; elapsedMs: number } | undefined {
    const k = this.kept;
    this.kept = undefined;
    return k === undefined ? undefined : { bytes: k.bytes, elapsedMs: Math.max(0, this.clock.now() - k.at) };
  }

  write(bytes: Uint8Array): boolean {
    if (bytes.length > this.capacity) return false;
    this.clear();
    this.kept = { bytes: bytes.slice(), at: this.clock.now() };
    this.writes++;
    return true;
  }

  clear(): void {
    this.kept?.bytes.fill(0);
    this.kept = undefined;
  }

  /** What a power loss does to RTC memory. */
  powerLoss(): void {
    this.clear();
  }
}
