// Time-outs of a layer's records served by one timer. A record carries its own
// due time; the layer keeps one Deadlines object for its whole life, so a
// message or an exchange costs no closure and no timer of its own: the single
// timer is set for the earliest due record, and when it fires every record due
// by then is handed to `expire` (which may schedule it again).
import type { TimerHandle, Timers } from '../platform/ports';

export interface Due {
  /** Monotonic ms at which the record expires; Infinity when not scheduled. */
  due: number;
}

export class Deadlines<T extends Due> {
  /** Scheduled records (each table above bounds how many there can be). */
  private readonly items = new Set<T>();
  private timer: TimerHandle | null = null;
  private armedFor = Infinity;
  private readonly tick: () => void;

  constructor(private readonly timers: Timers, private readonly expire: (item: T) => void) {
    this.tick = () => this.run();
  }

  get size(): number { return this.items.size; }

  /** Expire `item` `delay` ms from now (replacing an earlier schedule). */
  schedule(item: T, delay: number): void {
    this.at(item, this.timers.now() + delay);
  }

  /** Expire `item` at the monotonic time `due` (Infinity unschedules it). */
  at(item: T, due: number): void {
    if (due === Infinity) { this.cancel(item); return; }
    item.due = due;
    this.items.add(item);
    if (due < this.armedFor) this.arm(due);
  }

  cancel(item: T): void {
    item.due = Infinity;
    this.items.delete(item);
    // The timer may still fire for it; run() then finds nothing due and re-arms.
  }

  clear(): void {
    for (const item of this.items) item.due = Infinity;
    this.items.clear();
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Infinity;
  }

  private arm(due: number): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.armedFor = due;
    this.timer = this.timers.setTimeout(this.tick, Math.max(0, due - this.timers.now()));
  }

  private run(): void {
    this.timer = null;
    this.armedFor = Infinity;
    const now = this.timers.now();
    for (const item of [...this.items]) {
      if (item.due > now || !this.items.has(item)) continue;
      this.items.delete(item);
      item.due = Infinity;
      this.expire(item);
    }
    let next = Infinity;
    for (const item of this.items) if (item.due < next) next = item.due;
    if (next < this.armedFor) this.arm(next);
  }
}
