// Node side of the XS host port (host-tests/xs-harness/port/host.ts): runs a
// bundle in an xsnap worker, binds real UDP sockets on loopback for it,
// drives its timers (real setTimeout by default, or any injected Timers such
// as a virtual clock) and relays its logs and events.

import dgram from 'node:dgram';
import type { Timers, TimerHandle, LogLevel } from '../../firmware/platform/ports';
import { CallStatus, FromXs, LOG_LEVELS, Reader, ToXs, Writer } from './port/envelope';
import { XsError, XsWorker, type MeterUsage, type XsWorkerOptions } from './driver';

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (cb, ms) => setTimeout(cb, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface XsHostOptions {
  /** Script to evaluate (see bundle.ts); it must call installXsHost(). */
  script: string;
  /** Clock for XS timers; default real time. */
  timers?: Timers;
  /** Loopback address sockets are bound to when XS asks for an unspecified one. Default 127.0.0.1. */
  loopback?: string;
  onLog?: (level: LogLevel, msg: string) => void;
  onEvent?: (name: string, payload: Uint8Array) => void;
  worker?: Omit<XsWorkerOptions, 'onQuery'>;
}

interface Socket {
  sock: dgram.Socket;
  address: string;
  port: number;
}

/** Bound on events kept for waitEvent() when nobody waits yet. */
const MAX_BUFFERED_EVENTS = 256;

export class XsHost {
  readonly worker: XsWorker;
  private readonly timers: Timers;
  private readonly loopback: string;
  private readonly sockets = new Map<number, Socket>();
  private nextSocket = 1;
  private readonly xsTimers = new Map<number, TimerHandle>();
  private readonly events: Array<{ name: string; payload: Uint8Array }> = [];
  private readonly waiters: Array<{ name: string; resolve(p: Uint8Array): void }> = [];
  private closed = false;
  /** Errors from turns Node started on its own (datagrams, timers): tests assert this stays empty. */
  readonly errors: Error[] = [];
  /** Log lines from XS at error level (e.g. a core callback that threw). */
  readonly errorLogs: string[] = [];
  /** Meter report after the most recent turn. */
  get meter(): MeterUsage | null {
    return this.worker.lastMeter;
  }
  readonly stats = { datagramsIn: 0, datagramsOut: 0, bytesIn: 0, bytesOut: 0, timersFired: 0 };

  private constructor(private readonly opts: XsHostOptions) {
    this.timers = opts.timers ?? realTimers;
    this.loopback = opts.loopback ?? '127.0.0.1';
    this.worker = new XsWorker({ ...opts.worker, onQuery: (q) => this.onQuery(q) });
  }

  static async start(opts: XsHostOptions): Promise<XsHost> {
    const host = new XsHost(opts);
    try {
      await host.worker.evaluate(opts.script);
    } catch (e) {
      await host.close();
      throw e;
    }
    return host;
  }

  /** Call a handler the script registered with registerCall(); it must settle within the turn. */
  async call(name: string, payload: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    const w = new Writer(16 + name.length + payload.length).u8(ToXs.CALL).f64(this.timers.now()).short(name).bytes(payload);
    const { reply } = await this.worker.command(new Uint8Array(w.finish()));
    const status = reply[0];
    const data = reply.subarray(1);
    if (status === CallStatus.OK) return data;
    if (status === CallStatus.PENDING) throw new XsError(`XS call ${name} did not settle within its turn`);
    throw new XsError(`XS call ${name} failed: ${new TextDecoder().decode(data)}`);
  }

  /** Call and decode a JSON reply. */
  async callJson<T = unknown>(name: string, arg?: unknown): Promise<T> {
    const payload = arg === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(arg));
    const out = await this.call(name, payload);
    return (out.length ? JSON.parse(new TextDecoder().decode(out)) : undefined) as T;
  }

  /** Resolves with the payload of the next (or an already buffered) event of that name. */
  waitEvent(name: string, timeoutMs = 10000): Promise<Uint8Array> {
    const i = this.events.findIndex((e) => e.name === name);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0].payload);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const k = this.waiters.indexOf(waiter);
        if (k >= 0) this.waiters.splice(k, 1);
        reject(new Error(`no XS event "${name}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        name,
        resolve: (p: Uint8Array) => {
          clearTimeout(t);
          resolve(p);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves once every turn queued so far has run (e.g. after advancing a virtual clock). */
  async settled(): Promise<void> {
    await this.worker.command(new Uint8Array(new Writer(9).u8(ToXs.TICK).f64(this.timers.now()).finish()));
  }

  /** Bound ports, by the socket id XS knows them by. */
  get boundPorts(): number[] {
    return [...this.sockets.values()].map((s) => s.port);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.xsTimers.values()) this.timers.clearTimeout(h);
    this.xsTimers.clear();
    for (const s of this.sockets.values()) s.sock.close();
    this.sockets.clear();
    await this.worker.close();
  }

  /** A turn Node starts by itself: failures are kept in `errors`, never thrown into Node's loop. */
  private turn(bytes: ArrayBuffer): void {
    if (this.closed) return;
    this.worker.command(new Uint8Array(bytes)).catch((e: Error) => {
      if (!this.closed) this.errors.push(e);
    });
  }

  private async onQuery(q: Uint8Array): Promise<Uint8Array> {
    const empty = new Uint8Array(0);
    const r = new Reader(q);
    switch (r.u8()) {
      case FromXs.SEND: {
        const s = this.sockets.get(r.u8());
        const port = r.u16();
        const address = r.short();
        const data = r.rest();
        if (s) {
          this.stats.datagramsOut++;
          this.stats.bytesOut += data.length;
          // Errors (e.g. unreachable) are logged like the Node port does; the core never sees a throw.
          s.sock.send(data, port, address, (err) => {
            if (err) this.opts.onLog?.('warn', `xs udp send: ${err.message}`);
          });
        }
        return empty;
      }
      case FromXs.SET_TIMER: {
        const id = r.u32();
        const ms = r.f64();
        this.xsTimers.set(
          id,
          this.timers.setTimeout(() => {
            this.xsTimers.delete(id);
            this.stats.timersFired++;
            this.turn(new Writer(13).u8(ToXs.TIMER).f64(this.timers.now()).u32(id).finish());
          }, ms),
        );
        return empty;
      }
      case FromXs.CLEAR_TIMER: {
        const id = r.u32();
        const h = this.xsTimers.get(id);
        if (h !== undefined) {
          this.timers.clearTimeout(h);
          this.xsTimers.delete(id);
        }
        return empty;
      }
      case FromXs.LOG: {
        const level = LOG_LEVELS[r.u8()] ?? 'info';
        const msg = new TextDecoder().decode(r.rest());
        if (level === 'error') this.errorLogs.push(msg);
        this.opts.onLog?.(level, msg);
        return empty;
      }
      case FromXs.OPEN_UDP: {
        const port = r.u16();
        let address = r.short();
        // Tests only ever listen on loopback.
        if (address === '0.0.0.0' || address === '') address = this.loopback;
        if (address === '::') address = '::1';
        try {
          const s = await this.bind(address, port);
          return new Uint8Array(new Writer(32).u8(s.id).u16(s.port).short(address).finish());
        } catch (e) {
          this.opts.onLog?.('error', `xs udp bind ${address}:${port}: ${(e as Error).message}`);
          return empty;
        }
      }
      case FromXs.CLOSE_UDP: {
        const id = r.u8();
        const s = this.sockets.get(id);
        if (s) {
          s.sock.close();
          this.sockets.delete(id);
        }
        return empty;
      }
      case FromXs.EVENT: {
        const name = r.short();
        const payload = r.rest().slice();
        this.opts.onEvent?.(name, payload);
        const k = this.waiters.findIndex((w) => w.name === name);
        if (k >= 0) this.waiters.splice(k, 1)[0].resolve(payload);
        else {
          if (this.events.length >= MAX_BUFFERED_EVENTS) this.events.shift();
          this.events.push({ name, payload });
        }
        return empty;
      }
      default:
        return empty;
    }
  }

  private bind(address: string, port: number): Promise<{ id: number; port: number }> {
    return new Promise((resolve, reject) => {
      if (this.sockets.size >= 255) {
        reject(new Error('too many sockets'));
        return;
      }
      const sock = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
      sock.once('error', reject);
      sock.bind(port, address, () => {
        sock.off('error', reject);
        sock.on('error', (e) => this.opts.onLog?.('warn', `xs udp: ${e.message}`));
        const id = this.nextSocket++;
        const bound = sock.address().port;
        this.sockets.set(id, { sock, address, port: bound });
        sock.on('message', (msg, rinfo) => {
          this.stats.datagramsIn++;
          this.stats.bytesIn += msg.length;
          this.turn(
            new Writer(16 + msg.length)
              .u8(ToXs.DATAGRAM)
              .f64(this.timers.now())
              .u8(id)
              .u16(rinfo.port)
              .short(rinfo.address)
              .bytes(msg)
              .finish(),
          );
        });
        resolve({ id, port: bound });
      });
    });
  }
}
