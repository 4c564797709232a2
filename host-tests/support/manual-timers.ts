// A clock the test moves by hand, for the Node side of the XS bridge: timers
// fire in due order when advance() passes them (XS turns happen in between
// only when the test lets the bridge settle).
import type { TimerHandle, Timers } from '../../firmware/platform/ports';

export class ManualTimers implements Timers {
  private q: Array<{ at: number; cb: () => void; h: object }> = [];
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
  setTimeout(cb: () => void, ms: number): TimerHandle {
    const h = {};
    this.q.push({ at: this.t + ms, cb, h });
    return h;
  }
  clearTimeout(h: TimerHandle): void {
    this.q = this.q.filter((e) => e.h !== h);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.q.sort((a, b) => a.at - b.at);
      const e = this.q[0];
      if (!e || e.at > end) break;
      this.q.shift();
      this.t = e.at;
      e.cb();
    }
    this.t = end;
  }
}
