// Timers port over the Moddable `timer` module and `Time.ticks`.
//
// `Time.ticks` is the millisecond counter of the device; it is a 32-bit value
// that wraps (about 49.7 days unsigned, 24.8 days if the host returns it
// signed). now() turns it into a monotonic count by accumulating deltas
// modulo 2^32, which is exact as long as now() runs at least once per wrap
// period (the client's own timers guarantee that).
import Timer from 'timer';
import Time from 'time';
import type { Logger, TimerHandle, Timers } from '../ports';
import type { HostTimerId, TimerModule } from './types/timer';
import { tickDelta } from './ticks';

// The npm typing calls the id a number and `repeat` a boolean; see types/timer.d.ts.
const HostTimer = Timer as unknown as TimerModule;

interface ModdableTimerHandle {
  id: HostTimerId | undefined;
}

export class ModdableTimers implements Timers {
  /** Callbacks that threw (logged, swallowed so one bug cannot stop the timer service). */
  callbackErrors = 0;
  private lastTicks: number;
  private monotonic = 0;
  private readonly log: Logger | undefined;

  constructor(log?: Logger) {
    this.log = log;
    this.lastTicks = Time.ticks;
  }

  now(): number {
    const ticks = Time.ticks;
    const delta = tickDelta(this.lastTicks, ticks);
    this.lastTicks = ticks;
    this.monotonic += delta;
    return this.monotonic;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle: ModdableTimerHandle = { id: undefined };
    const delay = ms > 0 ? Math.ceil(ms) : 0;
    handle.id = HostTimer.set(() => {
      // A one-shot timer is released by the host after it fires; forget the id
      // so clearTimeout() on it later is a no-op.
      handle.id = undefined;
      try {
        callback();
      } catch (e) {
        this.callbackErrors++;
        this.log?.error(`timer: callback threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }, delay);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle !== 'object' || handle === null) return;
    const h = handle as ModdableTimerHandle;
    const id = h.id;
    if (id === undefined) return;
    h.id = undefined;
    HostTimer.clear(id);
  }
}
