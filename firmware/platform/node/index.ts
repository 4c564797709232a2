// Node implementations of the platform ports (firmware/platform/ports.ts).
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { LogLevel, Logger, Random, TimerHandle, Timers, WallClock } from '../ports';

export { openUdp, type UdpOptions, type UdpTransport } from './udp';
export { MemoryRetainedMemory } from './retained-memory';

export const nodeTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (cb: () => void, ms: number): TimerHandle => setTimeout(cb, ms),
  clearTimeout: (h: TimerHandle): void => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export const nodeWallClock: WallClock = {
  epochSeconds: () => Math.floor(Date.now() / 1000),
};

/**
 * CSPRNG bytes drawn 4 KiB at a time: a message ID or token needs a few bytes,
 * and a call into the system generator for each one costs more than the rest
 * of sending the message. Bytes handed out are never handed out again.
 */
const POOL = new Uint8Array(4096);
let poolAt = POOL.length;

function take(n: number): Uint8Array {
  if (n > POOL.length) return randomFillSync(new Uint8Array(n));
  if (poolAt + n > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const out = POOL.slice(poolAt, poolAt + n);
  POOL.fill(0, poolAt, poolAt + n);
  poolAt += n;
  return out;
}

export const nodeRandom: Random = {
  bytes: take,
  float: () => {
    const b = take(4);
    return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 4294967296;
  },
};

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** "12:03:04.567", local time: when a log line was written. */
export function logTime(d: Date = new Date()): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Console logger showing messages at `level` and more severe. */
export function consoleLogger(level: LogLevel = 'info', prefix = ''): Logger {
  const max = RANK[level];
  // "12:03:04.567 [prefix] I message": when, the process, the level, then the component's own "layer: …" text.
  const p = prefix ? `[${prefix}] ` : '';
  return {
    error: (m) => {
      if (max >= 0) console.error(`${logTime()} ${p}E ${m}`);
    },
    warn: (m) => {
      if (max >= 1) console.warn(`${logTime()} ${p}W ${m}`);
    },
    info: (m) => {
      if (max >= 2) console.log(`${logTime()} ${p}I ${m}`);
    },
    debug: (m) => {
      if (max >= 3) console.log(`${logTime()} ${p}D ${m}`);
    },
  };
}
