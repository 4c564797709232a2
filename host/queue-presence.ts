// Queue Mode, server side (Core 1.1 §6.5, Transport §6.5): a client that
// registered with Q listens only for a while after each message it sends. The
// server counts it awake for `awakeMs` (MAX_TRANSMIT_WAIT by default, as
// Leshan does) after it last heard from it — a Register, an Update, a
// notification, any datagram — and otherwise keeps the operations for it
// in a bounded queue, each with an expiry, sending them one at a time once
// the client is heard from again.
import type { TimerHandle, Timers } from '../firmware/platform/ports';

export interface PresenceOptions {
  timers: Timers;
  /** How long a client counts as awake after the server last heard from it, ms. */
  awakeMs: number;
  /** Bound on operations waiting for one client. */
  maxQueued: number;
  /** An operation that waited this long for its client to wake is dropped with an error, ms. */
  expiryMs: number;
  /** A client went to sleep (as far as the server can tell) or woke. */
  changed(endpoint: string, awake: boolean): void;
  /** What waits for a client changed (an operation queued, sent, dropped). */
  queueChanged?(endpoint: string): void;
}

/** An operation waiting for its client, as the prompt and the console list it. */
export interface QueuedOperation {
  what: string;
  since: number;
}

interface Waiter {
  what: string;
  since: number;
  start(): void;
  fail(e: Error): void;
  timer: TimerHandle | undefined;
}

interface Lane {
  waiting: Waiter[];
  busy: boolean;
  awakeUntil: number;
  sleepTimer: TimerHandle | undefined;
}

export class Presence {
  // Bound: one lane per registered queue-mode client (forget() drops it), each with maxQueued waiters at most.
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly o: PresenceOptions) {}

  /** The server heard from `endpoint`: it is awake for awakeMs; what waits for it goes, one at a time. */
  heard(endpoint: string): void {
    const lane = this.lane(endpoint);
    const wasAwake = this.isAwake(endpoint);
    lane.awakeUntil = this.o.timers.now() + this.o.awakeMs;
    if (lane.sleepTimer !== undefined) this.o.timers.clearTimeout(lane.sleepTimer);
    lane.sleepTimer = this.o.timers.setTimeout(() => {
      lane.sleepTimer = undefined;
      this.o.changed(endpoint, false);
    }, this.o.awakeMs);
    if (!wasAwake) this.o.changed(endpoint, true);
    this.pump(endpoint);
  }

  isAwake(endpoint: string): boolean {
    return (this.lanes.get(endpoint)?.awakeUntil ?? 0) > this.o.timers.now();
  }

  queued(endpoint: string): QueuedOperation[] {
    return (this.lanes.get(endpoint)?.waiting ?? []).map((w) => ({ what: w.what, since: w.since }));
  }

  /** Runs `op` toward a queue-mode client when it is awake, after the operations queued before it. */
  run<T>(endpoint: string, what: string, op: () => Promise<T>): Promise<T> {
    const lane = this.lane(endpoint);
    if (lane.waiting.length >= this.o.maxQueued) {
      return Promise.reject(new Error(`${endpoint} is asleep and ${this.o.maxQueued} operations already wait for it; ${what} not queued`));
    }
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = {
        what,
        since: this.o.timers.now(),
        timer: undefined,
        fail: reject,
        start: () => {
          op()
            .then(resolve, reject)
            .finally(() => {
              lane.busy = false;
              this.pump(endpoint);
            });
        },
      };
      w.timer = this.o.timers.setTimeout(() => {
        const i = lane.waiting.indexOf(w);
        if (i < 0) return;
        lane.waiting.splice(i, 1);
        this.o.queueChanged?.(endpoint);
        reject(new Error(`${endpoint} did not wake within ${Math.round(this.o.expiryMs / 1000)} s; ${what} was not sent`));
      }, this.o.expiryMs);
      lane.waiting.push(w);
      this.pump(endpoint);
      if (lane.waiting.includes(w)) this.o.queueChanged?.(endpoint);
    });
  }

  /** The client is gone (de-registered, expired, registered anew elsewhere): what waited for it fails. */
  forget(endpoint: string, why: string): void {
    const lane = this.lanes.get(endpoint);
    if (!lane) return;
    this.lanes.delete(endpoint);
    if (lane.sleepTimer !== undefined) this.o.timers.clearTimeout(lane.sleepTimer);
    for (const w of lane.waiting) {
      if (w.timer !== undefined) this.o.timers.clearTimeout(w.timer);
      w.fail(new Error(`${endpoint} ${why}; ${w.what} was not sent`));
    }
  }

  private pump(endpoint: string): void {
    const lane = this.lanes.get(endpoint);
    if (!lane || lane.busy || !this.isAwake(endpoint)) return;
    const w = lane.waiting.shift();
    if (!w) return;
    if (w.timer !== undefined) this.o.timers.clearTimeout(w.timer);
    lane.busy = true;
    this.o.queueChanged?.(endpoint);
    w.start();
  }

  private lane(endpoint: string): Lane {
    let lane = this.lanes.get(endpoint);
    if (!lane) {
      lane = { waiting: [], busy: false, awakeUntil: 0, sleepTimer: undefined };
      this.lanes.set(endpoint, lane);
    }
    return lane;
  }
}
