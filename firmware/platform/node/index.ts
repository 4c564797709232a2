// Node implementations of the platform ports (firmware/platform/ports.ts).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { LogLevel, Logger, Random, TimerHandle, Timers, WallClock } from '../ports';

export { openUdp, type UdpOptions, type UdpTransport } from './udp';

export const nodeTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (cb: () => void, ms: number): TimerHandle => setTimeout(cb, ms),
  clearTimeout: (h: TimerHandle): void => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export const nodeWallClock: WallClock = {
  epochSeconds: () => Math.floor(Date.now() / 1000),
};

export const nodeRandom: Random = {
  bytes: (n: number) => new Uint8Array(randomBytes(n)),
  float: () => randomBytes(4).readUInt32BE(0) / 4294967296,
};

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Console logger showing messages at `level` and more severe. */
export function consoleLogger(level: LogLevel = 'info', prefix = ''): Logger {
  const max = RANK[level];
  // "[prefix] I message": the process, then the level, then the component's own "layer: …" text.
  const p = prefix ? `[${prefix}] ` : '';
  return {
    error: (m) => { if (max >= 0) console.error(`${p}E ${m}`); },
    warn: (m) => { if (max >= 1) console.warn(`${p}W ${m}`); },
    info: (m) => { if (max >= 2) console.log(`${p}I ${m}`); },
    debug: (m) => { if (max >= 3) console.log(`${p}D ${m}`); },
  };
}
