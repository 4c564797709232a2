// Drives the real XS engine (the `xsnap-worker` binary that npm
// @agoric/xsnap builds at install) from Node, without importing that
// package's JS wrapper: its `@endo/init` would lock down this whole process.
//
// Protocol (xsnap-worker.c main loop and xs_issueCommand): netstrings
// `<len>:<bytes>,` on fd 3 (to the worker) and fd 4 (from it).
//   to worker:   e<code>   evaluate a script (indirect eval)
//                ?<bytes>  call globalThis.handleCommand(ArrayBuffer)
//                /<bytes>  answer to a query the worker sent
//   from worker: .<meter JSON>\x01<reply>  success (reply: the ArrayBuffer
//                                          returned, or its `.result`)
//                !<text>                   uncaught exception
//                ?<bytes>                  issueCommand(ArrayBuffer) from
//                                          the code, blocks until `/`
// The worker is single-threaded and strictly request/response, so every
// call here goes through one queue.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

export const XSNAP_WORKER = fileURLToPath(
  new URL('../../node_modules/@agoric/xsnap/xsnap-native/xsnap/build/bin/lin/release/xsnap-worker', import.meta.url),
);

/** The meter report xsnap appends to every successful reply. */
export interface MeterUsage {
  /** Slots (16-byte cells on the device) in use in the XS heap after the call. */
  currentHeapCount: number;
  /** Metering units (roughly bytecodes executed) during the call. */
  compute: number;
  /** Bytes the machine has allocated for its chunk and slot heaps in total. */
  allocate: number;
}

export interface XsReply {
  reply: Uint8Array;
  meter: MeterUsage;
}

/** Answers an `issueCommand()` from the code in XS; may be async (XS blocks meanwhile). */
export type QueryHandler = (query: Uint8Array) => Uint8Array | Promise<Uint8Array>;

export interface XsWorkerOptions {
  /** Called for every issueCommand() from XS; default answers with an empty reply. */
  onQuery?: QueryHandler;
  /** Lines written by the worker's global `print()`; default discards them. */
  onPrint?: (line: string) => void;
  /** Per-call metering limit (`-l`); 0 or absent is unlimited. */
  meteringLimit?: number;
  /** Path of the xsnap-worker binary. */
  binary?: string;
}

export class XsError extends Error {
  override name = 'XsError';
}

const OK = 0x2e; // '.'
const ERROR = 0x21; // '!'
const QUERY = 0x3f; // '?'
const METER_SEPARATOR = 0x01;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that forgets close() must not leave engines running after Node exits.
  process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}

/** Incremental netstring parser over a byte stream. */
class NetstringReader {
  private buf = new Uint8Array(0);
  constructor(
    private readonly onMessage: (m: Uint8Array) => void,
    private readonly onError: (e: Error) => void,
  ) {}

  push(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf, 0);
    merged.set(chunk, this.buf.length);
    this.buf = merged;
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) {
        if (this.buf.length > 10) this.onError(new XsError('xsnap protocol error: bad netstring length'));
        return;
      }
      let len = 0;
      for (let i = 0; i < colon; i++) {
        const d = this.buf[i] - 0x30;
        if (d < 0 || d > 9) {
          this.onError(new XsError('xsnap protocol error: bad netstring length'));
          return;
        }
        len = len * 10 + d;
      }
      const end = colon + 1 + len;
      if (this.buf.length < end + 1) return;
      if (this.buf[end] !== 0x2c) {
        this.onError(new XsError('xsnap protocol error: missing netstring comma'));
        return;
      }
      const message = this.buf.slice(colon + 1, end);
      this.buf = this.buf.subarray(end + 1);
      this.onMessage(message);
    }
  }
}

function netstring(prefix: number, body: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`${body.length + 1}:`);
  const out = new Uint8Array(head.length + 1 + body.length + 1);
  out.set(head, 0);
  out[head.length] = prefix;
  out.set(body, head.length + 1);
  out[out.length - 1] = 0x2c;
  return out;
}

interface Pending {
  resolve(r: XsReply): void;
  reject(e: Error): void;
}

/** One running XS engine. Calls are serialised; each resolves with the reply and the meter report. */
export class XsWorker {
  private readonly proc: ChildProcess;
  private readonly toWorker: Writable;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private readonly onQuery: QueryHandler;
  /** The meter report of the last successful call. */
  lastMeter: MeterUsage | null = null;

  constructor(opts: XsWorkerOptions = {}) {
    const binary = opts.binary ?? XSNAP_WORKER;
    if (!existsSync(binary)) {
      throw new XsError(`xsnap-worker not found at ${binary}: run "npm rebuild @agoric/xsnap" (needs make and a C compiler)`);
    }
    this.onQuery = opts.onQuery ?? (() => new Uint8Array(0));
    const args = ['xs-lwm2m'];
    if (opts.meteringLimit) args.push('-l', String(opts.meteringLimit));
    this.proc = spawn(binary, args, {
      stdio: ['ignore', opts.onPrint ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    live.add(this.proc);
    killAllOnExit();
    const stdio = this.proc.stdio as unknown as [null, Readable | null, Readable, Writable, Readable];
    this.toWorker = stdio[3];
    // A worker that dies mid-write would otherwise raise EPIPE as an unhandled error.
    this.toWorker.on('error', (e) => this.fail(new XsError(`xsnap pipe: ${e.message}`)));
    const reader = new NetstringReader(
      (m) => this.onMessage(m),
      (e) => this.fail(e),
    );
    stdio[4].on('data', (chunk: Uint8Array) => reader.push(chunk));
    let stderr = '';
    stdio[2].on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    if (opts.onPrint && stdio[1]) {
      const onPrint = opts.onPrint;
      let partial = '';
      stdio[1].on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) onPrint(l);
      });
    }
    this.proc.on('exit', (code, signal) => {
      live.delete(this.proc);
      this.fail(new XsError(`xsnap-worker exited (code ${code}, signal ${signal})${stderr ? ': ' + stderr.trim() : ''}`));
    });
  }

  /** True once the worker has exited or broke the protocol. */
  get closed(): boolean {
    return this.failure !== null;
  }

  /** Evaluate a script in the engine's global scope. */
  evaluate(code: string): Promise<XsReply> {
    return this.call(netstring(0x65, new TextEncoder().encode(code)));
  }

  /** Call globalThis.handleCommand(ArrayBuffer) in the engine. */
  command(bytes: Uint8Array): Promise<XsReply> {
    return this.call(netstring(QUERY, bytes));
  }

  /** Write a heap snapshot of the engine to `path` (xsnap's 'w' command). */
  snapshot(path: string): Promise<XsReply> {
    return this.call(netstring(0x77, new TextEncoder().encode(path)));
  }

  /** Stop the engine; pending calls reject. */
  close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      this.proc.kill('SIGKILL');
    });
  }

  private call(frame: Uint8Array): Promise<XsReply> {
    const run = (): Promise<XsReply> =>
      new Promise<XsReply>((resolve, reject) => {
        if (this.failure) {
          reject(this.failure);
          return;
        }
        this.pending = { resolve, reject };
        this.toWorker.write(frame);
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private onMessage(m: Uint8Array): void {
    const p = this.pending;
    if (m.length === 0) {
      this.fail(new XsError('xsnap protocol error: empty message'));
      return;
    }
    if (m[0] === QUERY) {
      // The engine is blocked in issueCommand until it gets the `/` answer.
      Promise.resolve()
        .then(() => this.onQuery(m.subarray(1)))
        .then(
          (answer) => {
            if (!this.failure) this.toWorker.write(netstring(0x2f, answer));
          },
          (e: unknown) => this.fail(new XsError(`query handler failed: ${(e as Error)?.message ?? e}`)),
        );
      return;
    }
    if (!p) {
      this.fail(new XsError('xsnap protocol error: unsolicited message'));
      return;
    }
    this.pending = null;
    if (m[0] === OK) {
      const sep = m.indexOf(METER_SEPARATOR, 1);
      let meter: MeterUsage = { currentHeapCount: 0, compute: 0, allocate: 0 };
      if (sep >= 0) {
        const j = JSON.parse(new TextDecoder().decode(m.subarray(1, sep))) as MeterUsage;
        meter = { currentHeapCount: j.currentHeapCount, compute: j.compute, allocate: j.allocate };
      }
      this.lastMeter = meter;
      p.resolve({ reply: m.slice(sep < 0 ? 1 : sep + 1), meter });
    } else if (m[0] === ERROR) {
      p.reject(new XsError(`uncaught exception in XS: ${new TextDecoder().decode(m.subarray(1))}`));
    } else {
      this.fail(new XsError(`xsnap protocol error: unknown message prefix 0x${m[0].toString(16)}`));
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    const p = this.pending;
    this.pending = null;
    if (p) p.reject(e);
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}
