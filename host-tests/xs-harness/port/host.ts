// The port for the core running inside XS on the host (xsnap-worker driven
// by host-tests/xs-harness/bridge.ts). Datagrams, timers and logs cross to Node with the
// engine's synchronous `issueCommand`; Node calls back through the global
// `handleCommand`. Plain ES2022: this file is bundled into the XS script.

import type { DatagramTransport, Logger, LogLevel, Random, TimerHandle, Timers } from '../../../firmware/platform/ports';
import { CallStatus, FromXs, LOG_LEVELS, Reader, ToXs, Writer } from './envelope';
import { utf8Decode, utf8Encode } from '../../../firmware/util/utf8';

interface XsnapGlobals {
  issueCommand?: (query: ArrayBuffer) => ArrayBuffer;
  handleCommand?: (command: ArrayBuffer) => unknown;
}
const g = globalThis as unknown as XsnapGlobals;

function issue(w: Writer): Uint8Array {
  if (!g.issueCommand) throw new Error('not running under xsnap: no issueCommand');
  return new Uint8Array(g.issueCommand(w.finish()));
}

/** Monotonic ms as last told by Node; frozen for the length of one turn. */
let clockNow = 0;

/** Bound on live timers: the core keeps a handful per exchange; a leak shows up as an error, not growth. */
export const MAX_TIMERS = 1024;
const timerCallbacks = new Map<number, () => void>();
let nextTimerId = 1;
let timerOverflows = 0;

class XsTimerHandle {
  constructor(readonly id: number) {}
}

export const xsTimers: Timers = {
  now: () => clockNow,
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = nextTimerId;
    nextTimerId = nextTimerId >= 0xffffffff ? 1 : nextTimerId + 1;
    if (timerCallbacks.size >= MAX_TIMERS) {
      timerOverflows++;
      xsLogger.error(`xs-host: timer table full (${MAX_TIMERS}), timer dropped`);
      return new XsTimerHandle(0);
    }
    timerCallbacks.set(id, callback);
    issue(
      new Writer(16)
        .u8(FromXs.SET_TIMER)
        .u32(id)
        .f64(ms > 0 ? ms : 0),
    );
    return new XsTimerHandle(id);
  },
  clearTimeout(handle: TimerHandle): void {
    if (!(handle instanceof XsTimerHandle)) return;
    if (!timerCallbacks.delete(handle.id)) return;
    issue(new Writer(8).u8(FromXs.CLEAR_TIMER).u32(handle.id));
  },
};

function log(level: LogLevel, msg: string): void {
  issue(new Writer(16 + msg.length).u8(FromXs.LOG).u8(LOG_LEVELS.indexOf(level)).bytes(utf8Encode(msg)));
}

export const xsLogger: Logger = {
  error: (m) => log('error', m),
  warn: (m) => log('warn', m),
  info: (m) => log('info', m),
  debug: (m) => log('debug', m),
};

/** Math.random is enough for tokens and message IDs in host tests (not for keys). */
export const xsRandom: Random = {
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (Math.random() * 256) | 0;
    return b;
  },
  float: () => Math.random(),
};

/** Bound on sockets per engine (one byte id on the wire). */
export const MAX_SOCKETS = 16;
const sockets = new Map<number, XsUdp>();

class XsUdp implements DatagramTransport {
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null = null;
  private open = true;
  constructor(
    readonly socket: number,
    readonly address: string,
    readonly port: number,
  ) {}
  send(data: Uint8Array, address: string, port: number): void {
    if (!this.open) return;
    issue(new Writer(16 + address.length + data.length).u8(FromXs.SEND).u8(this.socket).u16(port).short(address).bytes(data));
  }
  close(): void {
    if (!this.open) return;
    this.open = false;
    sockets.delete(this.socket);
    issue(new Writer(2).u8(FromXs.CLOSE_UDP).u8(this.socket));
  }
}

/**
 * Open a UDP socket on the Node side (bound to loopback by the bridge).
 * Synchronous: XS blocks while Node binds. Throws if Node could not bind.
 */
export function openXsUdp(
  opts: { port?: number; address?: string } = {},
): DatagramTransport & { readonly port: number; readonly address: string } {
  if (sockets.size >= MAX_SOCKETS) throw new Error(`xs-host: more than ${MAX_SOCKETS} sockets`);
  const r = new Reader(
    issue(
      new Writer(32)
        .u8(FromXs.OPEN_UDP)
        .u16(opts.port ?? 0)
        .short(opts.address ?? '127.0.0.1'),
    ),
  );
  if (r.bytes.length === 0) throw new Error('xs-host: Node could not bind the UDP socket');
  const socket = r.u8();
  const port = r.u16();
  const address = r.short();
  const udp = new XsUdp(socket, address, port);
  sockets.set(socket, udp);
  return udp;
}

/** Tell Node something happened (tests wait for these). */
export function emitEvent(name: string, payload: Uint8Array = new Uint8Array(0)): void {
  issue(new Writer(8 + name.length + payload.length).u8(FromXs.EVENT).short(name).bytes(payload));
}

interface TextCodecs {
  TextEncoder?: new () => { encode(s: string): Uint8Array };
  TextDecoder?: new () => { decode(b: Uint8Array): string };
}
const tc = globalThis as unknown as TextCodecs;
const textEncoder = tc.TextEncoder ? new tc.TextEncoder() : undefined;
const textDecoder = tc.TextDecoder ? new tc.TextDecoder() : undefined;

/**
 * Text for the harness (JSON call payloads), not for the core. xsnap's XS has
 * TextEncoder/TextDecoder (the device may not); they are linear, where a
 * charCodeAt/`+=` loop is quadratic in XS.
 */
export function jsonBytes(v: unknown): Uint8Array {
  const s = JSON.stringify(v) ?? 'null';
  return textEncoder ? textEncoder.encode(s) : utf8Encode(s);
}

export function parseJsonBytes<T = unknown>(b: Uint8Array): T {
  return JSON.parse(textDecoder ? textDecoder.decode(b) : utf8Decode(b)) as T;
}

export type CallHandler = (payload: Uint8Array) => Uint8Array | Promise<Uint8Array>;
const callHandlers = new Map<string, CallHandler>();

/** Name an entry point Node can call with XsHost.call(name, payload). */
export function registerCall(name: string, handler: CallHandler): void {
  callHandlers.set(name, handler);
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function callReply(status: number, data: Uint8Array): ArrayBuffer {
  return new Writer(1 + data.length).u8(status).bytes(data).finish();
}

/** xsnap reads `.result` of the returned object after the turn's promise jobs ran. */
interface CallResult {
  result: ArrayBuffer;
}

function dispatch(command: ArrayBuffer): CallResult | ArrayBuffer {
  const r = new Reader(new Uint8Array(command));
  const op = r.u8();
  clockNow = r.f64();
  switch (op) {
    case ToXs.DATAGRAM: {
      const socket = r.u8();
      const port = r.u16();
      const address = r.short();
      // Copy: the ArrayBuffer belongs to this call, the core may keep the bytes.
      const data = r.rest().slice();
      const udp = sockets.get(socket);
      if (udp && udp.onReceive) guarded('datagram', () => udp.onReceive!(data, address, port));
      return new ArrayBuffer(0);
    }
    case ToXs.TIMER: {
      const id = r.u32();
      const cb = timerCallbacks.get(id);
      if (cb) {
        timerCallbacks.delete(id);
        guarded('timer', cb);
      }
      return new ArrayBuffer(0);
    }
    case ToXs.CALL: {
      const name = r.short();
      const payload = r.rest().slice();
      const handler = callHandlers.get(name);
      if (!handler) return callReply(CallStatus.ERROR, utf8Encode(`no call named ${name}`));
      const out: CallResult = { result: callReply(CallStatus.PENDING, new Uint8Array(0)) };
      try {
        const v = handler(payload);
        if (v instanceof Uint8Array) {
          out.result = callReply(CallStatus.OK, v);
        } else {
          v.then(
            (bytes) => {
              out.result = callReply(CallStatus.OK, bytes);
            },
            (e: unknown) => {
              out.result = callReply(CallStatus.ERROR, utf8Encode(errorMessage(e)));
            },
          );
        }
      } catch (e) {
        out.result = callReply(CallStatus.ERROR, utf8Encode(errorMessage(e)));
      }
      return out;
    }
    default:
      return new ArrayBuffer(0);
  }
}

/** Count of callbacks that threw (each one is also logged at error level). */
export const hostStats = {
  callbackErrors: 0,
  get timerOverflows() {
    return timerOverflows;
  },
};

function guarded(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    hostStats.callbackErrors++;
    xsLogger.error(`xs-host: ${what} callback threw ${errorMessage(e)}`);
  }
}

/** Install the global handleCommand; call once from the bundle's entry. */
export function installXsHost(): void {
  g.handleCommand = dispatch;
}
