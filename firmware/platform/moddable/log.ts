// Logger port over the XS `trace()` global (xsbug console in debug builds,
// serial in release builds). Callers never pass secrets; this layer only
// filters by level and prefixes the level letter.
import type { LogLevel, Logger } from '../ports';

// The XS global (typed by @moddable/typings xs.d.ts on the device build);
// declared module-locally so host tools can type-check this file too.
declare const trace: (line: string) => void;

const RANK: Record<LogLevel, number> = Object.freeze({ error: 0, warn: 1, info: 2, debug: 3 });

export type TraceSink = (line: string) => void;

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
