// Times how long a client takes to serve each request, from the datagram
// reaching it to the first datagram it sends back, and keeps the figures per
// kind of request ("GET /3/0", "PUT /1/0" …), bounded. Engine-neutral: the
// measuring lin firmware (probe/main) and the Node side of `npm run bench`
// both wrap their client's transport in it, each with its own clock.
import type { DatagramTransport } from '../../../firmware/platform/ports';

/** Samples kept per kind of request. */
export const MAX_SAMPLES = 256;

export interface ServeTimerOptions {
  /** Microseconds from any origin. */
  now(): number;
  /** The kind of request a datagram is, or undefined when it is not a request worth timing. */
  describe(data: Uint8Array): string | undefined;
  /** Runs after each send, outside the timed interval (the memory probe samples there). */
  afterSend?(): void;
  /** Datagrams it claims are handled there and never reach the client. */
  intercept?(data: Uint8Array, address: string, port: number): boolean;
}

export class ServeTimer implements DatagramTransport {
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null = null;
  readonly samples = new Map<string, number[]>();
  timing = true;
  private pending: string | undefined;
  private start = 0;

  constructor(
    private readonly inner: DatagramTransport,
    private readonly o: ServeTimerOptions,
  ) {
    inner.onReceive = (data, address, port) => this.receive(data, address, port);
  }

  send(data: Uint8Array, address: string, port: number): void {
    if (this.pending !== undefined) {
      const us = this.o.now() - this.start;
      const kind = this.pending;
      this.pending = undefined;
      let list = this.samples.get(kind);
      if (list === undefined) this.samples.set(kind, (list = []));
      if (list.length < MAX_SAMPLES) list.push(us);
    }
    this.inner.send(data, address, port);
    this.o.afterSend?.();
  }

  close(): void {
    this.inner.close();
  }

  /** Median, minimum, maximum and count of the kept samples of each kind, microseconds. */
  summary(): Record<string, { n: number; median: number; min: number; max: number }> {
    const out: Record<string, { n: number; median: number; min: number; max: number }> = {};
    for (const [kind, list] of this.samples) {
      const s = [...list].sort((a, b) => a - b);
      out[kind] = { n: s.length, median: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]! };
    }
    return out;
  }

  private receive(data: Uint8Array, address: string, port: number): void {
    if (this.o.intercept?.(data, address, port)) return;
    const kind = this.o.describe(data);
    if (kind !== undefined && this.timing) {
      this.pending = kind;
      this.start = this.o.now();
    }
    this.onReceive?.(data, address, port);
    this.pending = undefined;
  }
}

/** "GET /3/0" for a CoAP request (method and Uri-Path), from a decoded message's parts. */
export function requestKind(code: number, uriPath: readonly string[]): string | undefined {
  const methods = ['', 'GET', 'POST', 'PUT', 'DELETE', 'FETCH', 'PATCH', 'iPATCH'];
  return code >= 1 && code <= 7 ? `${methods[code]} /${uriPath.join('/')}` : undefined;
}
