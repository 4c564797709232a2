// Logger port over the XS `trace()` global (xsbug console in debug builds,
// serial in release builds). Callers never pass secrets; this layer only
// filters by level and prefixes the level letter.
import type { LogLevel, Logger } from '../ports';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export type TraceSink = (line: string) => void;

/** Parses a build-time `logLevel=` value; anything unknown falls back to `fallback`. */
export function parseLogLevel(value: unknown, fallback: LogLevel = 'info'): LogLevel {
  return value === 'error' || value === 'warn' || value === 'info' || value === 'debug' ? value : fallback;
}

export function createTraceLogger(level: LogLevel, sink: TraceSink = defaultSink, tag = 'lwm2m'): Logger {
  const max = RANK[level];
  const emit = (l: LogLevel, letter: string, msg: string): void => {
    if (RANK[l] <= max) sink(`[${tag}] ${letter} ${msg}\n`);
  };
  return {
    error: (msg) => emit('error', 'E', msg),
    warn: (msg) => emit('warn', 'W', msg),
    info: (msg) => emit('info', 'I', msg),
    debug: (msg) => emit('debug', 'D', msg),
  };
}

function defaultSink(line: string): void {
  trace(line);
}
