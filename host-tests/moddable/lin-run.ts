// Runs a lin build of the firmware in the SDK's simulator (`mcsim`) without a
// screen (under xvfb-run), with its console (trace() and the XS instruments)
// as lines to wait on. stdout is line-buffered (stdbuf) so nothing is lost
// when the run is stopped.
import { ManagedProcess } from '../support/managed-process';
import { XVFB_RUN, toolEnv, type Sdk } from './sdk';

/** One `instruments:` line of a debug build: the XS machine's counters over the last second. */
export interface InstrumentSample {
  [name: string]: number;
}

/** XS slot size on the 64-bit host runtime; on the ESP32 (32-bit) a slot is 16 bytes. */
export const HOST_SLOT_BYTES = 32;

export class LinFirmware {
  readonly proc: ManagedProcess;
  private keys: string[] = [];

  private constructor(sdk: Sdk, so: string, name: string) {
    this.proc = new ManagedProcess(name, XVFB_RUN, ['-a', 'stdbuf', '-oL', `${sdk.bin}/mcsim`, so], { env: toolEnv(sdk) });
  }

  static start(sdk: Sdk, so: string, name = 'lin-firmware'): LinFirmware {
    return new LinFirmware(sdk, so, name);
  }

  /** Lines the firmware's logger wrote (`[lwm2m] I …`), in order. */
  logLines(): string[] {
    return this.proc.grep(/^\[(lwm2m|lin)\]/);
  }

  waitForLog(re: RegExp, timeoutMs: number, fromStart = true): Promise<RegExpExecArray> {
    return this.proc.waitForLine(re, timeoutMs, fromStart);
  }

  /** Every instruments sample printed so far, keyed by the names of the `instruments key:` line. */
  instruments(): InstrumentSample[] {
    if (this.keys.length === 0) {
      const key = this.proc.grep(/^instruments key: /)[0];
      if (key === undefined) return [];
      this.keys = key.slice('instruments key: '.length).split(',');
    }
    return this.proc.grep(/^instruments: /).map((l) => {
      const values = l.slice('instruments: '.length).split(',').map(Number);
      const s: InstrumentSample = {};
      this.keys.forEach((k, i) => {
        s[k] = values[i] ?? NaN;
      });
      return s;
    });
  }

  /** Errors the XS runtime reported (uncaught exceptions, aborts such as "memory full" or "stack overflow"). */
  xsErrors(): string[] {
    return this.proc
      .grep(/exception|memory full|stack overflow|not enough memory|\(xs\)|# Slot allocation|# Chunk allocation|abort/i)
      .filter((l) => !l.startsWith('[lwm2m]'));
  }

  /** Ends the run: SIGTERM (a clean exit), or SIGKILL (a power cut as far as the flash file is concerned). */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    return this.proc.stop(2000, signal);
  }
}

export interface MemoryPeaks {
  samples: number;
  /** Largest `Slot used` seen, in slots (the same count on the 32-bit device). */
  slots: number;
  slotLimit: number;
  /** Largest `Chunk used` seen, in host bytes (an upper bound for the 32-bit device). */
  chunkBytes: number;
  chunkLimit: number;
  /** Largest `Stack used` seen, in slots. */
  stack: number;
  stackLimit: number;
  /** Modules loaded at run time (0 when everything is preloaded). */
  modulesLoaded: number;
  garbageCollections: number;
}

/** Peaks over a run's instruments, slot counts on device terms (bytes / HOST_SLOT_BYTES). */
export function memoryPeaks(samples: InstrumentSample[]): MemoryPeaks {
  // "… available" is the machine's capacity (maximumHeapCount, maximumChunksSize, stack size), not what is free.
  const max = (k: string) => Math.max(0, ...samples.map((s) => s[k] ?? 0));
  return {
    samples: samples.length,
    slots: max('Slot used') / HOST_SLOT_BYTES,
    slotLimit: max('Slot available') / HOST_SLOT_BYTES,
    chunkBytes: max('Chunk used'),
    chunkLimit: max('Chunk available'),
    stack: max('Stack used') / HOST_SLOT_BYTES,
    stackLimit: max('Stack available') / HOST_SLOT_BYTES,
    modulesLoaded: max('Modules loaded'),
    // The simulator resets the count with every sample.
    garbageCollections: samples.reduce((n, s) => n + (s['Garbage collections'] ?? 0), 0),
  };
}
