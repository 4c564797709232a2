// Virtual time for protocol tests: timers fire in due order only when the
// test advances the clock, with promise microtasks flushed between firings,
// so a 247 s EXCHANGE_LIFETIME runs in milliseconds and is deterministic.
import type { TimerHandle, Timers } from '../../firmware/platform/ports';

interface VTimer {
  id: number;
  due: number;
  seq: number;
  cb: () => void;
}

/** Let every queued microtask (and the chains they start) run. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class VirtualClock implements Timers {
  private t = 0;
  private seq = 0;
  private nextId = 1;
  private readonly timers = new Map<number, VTimer>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.t + Math.max(0, ms), seq: this.seq++, cb: callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Number of armed timers (leak checks). */
  get pending(): number {
    return this.timers.size;
  }

  private earliest(): VTimer | undefined {
    let best: VTimer | undefined;
    for (const v of this.timers.values()) {
      if (!best || v.due < best.due || (v.due === best.due && v.seq < best.seq)) best = v;
    }
    return best;
  }

  /** Fire the next due timer at or before `limit`; false when none. */
  private async step(limit: number): Promise<boolean> {
    await flushMicrotasks();
    const next = this.earliest();
    if (!next || next.due > limit) return false;
    this.timers.delete(next.id);
    if (next.due > this.t) this.t = next.due;
    next.cb();
    await flushMicrotasks();
    return true;
  }

  /** Advance by ms, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    while (await this.step(target)) {
      /* fire */
    }
    this.t = Math.max(this.t, target);
    await flushMicrotasks();
  }

  /** Advance until pred() holds (checked after each timer) or maxMs passed; returns pred(). */
  async runUntil(pred: () => boolean, maxMs: number): Promise<boolean> {
    const target = this.t + maxMs;
    await flushMicrotasks();
    while (!pred()) {
      if (!(await this.step(target))) break;
    }
    if (!pred() && this.t < target) this.t = target;
    return pred();
  }
}
