// Waiting in a test that runs either in virtual time (a VirtualClock: timers
// fire only as the clock advances) or in real time over loopback UDP. The
// real-time waits poll; the virtual ones cost no wall time.
import type { VirtualClock } from './virtual-clock';

/** Until pred() holds or maxMs have passed; returns pred(). */
export async function waitUntil(clock: VirtualClock | undefined, pred: () => boolean, maxMs: number): Promise<boolean> {
  if (clock) return clock.runUntil(pred, maxMs);
  const end = Date.now() + maxMs;
  while (!pred()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

export async function letTimePass(clock: VirtualClock | undefined, ms: number): Promise<void> {
  if (clock) await clock.advance(ms);
  else await new Promise((r) => setTimeout(r, ms));
}

/** The outcome of a promise whose progress needs time to pass; in virtual time it must settle within maxMs. */
export async function settled<T>(clock: VirtualClock | undefined, p: Promise<T>, maxMs: number): Promise<T> {
  if (!clock) return p;
  let done = false;
  let out: { v?: T; e?: unknown } = {};
  p.then(
    (v) => {
      out = { v };
    },
    (e) => {
      out = { e };
    },
  ).finally(() => {
    done = true;
  });
  await clock.runUntil(() => done, maxMs);
  if (!done) throw new Error('operation did not settle');
  if ('e' in out && out.e !== undefined) throw out.e;
  return out.v as T;
}
