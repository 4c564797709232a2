// The time-outs of a whole CoAP stack served by one timer. Each record carries
// its due time and the layer that handles its expiry; the stack keeps one
// Deadlines object for its whole life, so a message or an exchange costs no
// closure and no timer of its own: the single timer is set for the earliest
// due record, and when it fires every record due by then goes to its owner's
// expired() (which may schedule it again).
import type { TimerHandle, Timers } from '../platform/ports';

/** A layer that handles the expiry of its records. */
export interface DeadlineOwner {
  expired(item: Due): void;
}

export interface Due {
  /** Monotonic ms at which the record expires; Infinity when not scheduled. */
  due: number;
  /** Who handles its expiry (set when it is scheduled). */
  dueOwner: DeadlineOwner | null;
}

export class Deadlines {
  /** Scheduled records (the tables of the layers bound how many there can be). */
  private readonly items = new Set<Due>();
  private timer: TimerHandle | null = null;
  private armedFor = Infinity;
  private readonly tick: () => void;

  constructor(private readonly timers: Timers) {
    this.tick = () => this.run();
  }

  get size(): number {
    return this.items.size;
  }

  /** `owner.expired(item)` `delay` ms from now (replacing an earlier schedule). */
  schedule(item: Due, delay: number, owner: DeadlineOwner): void {
    this.at(item, this.timers.now() + delay, owner);
  }

  /** `owner.expired(item)` at the monotonic time `due` (Infinity unschedules it). */
  at(item: Due, due: number, owner: DeadlineOwner): void {
    if (due === Infinity) {
      this.cancel(item);
      return;
    }
    item.due = due;
    item.dueOwner = owner;
    this.items.add(item);
    if (due < this.armedFor) this.arm(due);
  }

  cancel(item: Due): void {
    const due = item.due;
    item.due = Infinity;
    if (!this.items.delete(item) || due !== this.armedFor) return;
    // The timer was set for this record: set it for the next one instead (or stop it), so it never wakes for nothing.
    let next = Infinity;
    for (const other of this.items) if (other.due < next) next = other.due;
    if (next === Infinity) this.disarm();
    else if (next > this.armedFor) this.arm(next);
  }

  clear(): void {
    for (const item of this.items) item.due = Infinity;
    this.items.clear();
    this.disarm();
  }

  private disarm(): void {
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
      item.dueOwner?.expired(item);
    }
    let next = Infinity;
    for (const item of this.items) if (item.due < next) next = item.due;
    if (next < this.armedFor) this.arm(next);
  }
}
