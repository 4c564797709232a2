// DatagramTransport over the ECMA-419 UDP socket (`embedded:io/socket/udp`).
//
// Bounds: nothing is queued in JavaScript. Each onReadable drains the lwIP
// receive queue synchronously into the core, so the only queue is lwIP's own
// (malloc'd list; lwIP drops when allocation fails). A datagram larger than
// `maxDatagramBytes` is dropped and counted. Send errors (bad address, no
// buffer) are logged and counted, never thrown into the core.
import UDP from 'embedded:io/socket/udp';
import type { DatagramTransport, Logger } from '../ports';
import type { UdpConstructor, UdpSocket } from './types/udp';

// The npm typing of this class misses close() and read()'s undefined; see types/udp.d.ts.
const UdpSocketClass = UDP as unknown as UdpConstructor;

/** RFC 7252 §4.6: without path MTU knowledge stay within 1152 bytes of CoAP; allow IPv6 minimum MTU. */
export const DEFAULT_MAX_DATAGRAM_BYTES = 1280;

export interface UdpTransportOptions {
  /** Local port; 0 or omitted = ephemeral. */
  port?: number;
  log: Logger;
  maxDatagramBytes?: number;
}

export interface UdpTransportStats {
  received: number;
  sent: number;
  sendErrors: number;
  droppedOversize: number;
  droppedNoHandler: number;
}

export class ModdableUdpTransport implements DatagramTransport {
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null = null;
  readonly stats: UdpTransportStats = {
    received: 0,
    sent: 0,
    sendErrors: 0,
    droppedOversize: 0,
    droppedNoHandler: 0,
  };
  private socket: UdpSocket | undefined;
  private readonly log: Logger;
  private readonly maxDatagramBytes: number;

  constructor(options: UdpTransportOptions) {
    this.log = options.log;
    this.maxDatagramBytes = options.maxDatagramBytes ?? DEFAULT_MAX_DATAGRAM_BYTES;
    const port = options.port ?? 0;
    this.socket = new UdpSocketClass({
      ...(port > 0 ? { port } : {}),
      format: 'buffer',
      onReadable: () => this.drain(),
      onError: () => this.log.warn('udp: socket error'),
    });
  }

  send(data: Uint8Array, address: string, port: number): void {
    const socket = this.socket;
    if (socket === undefined) {
      this.stats.sendErrors++;
      return;
    }
    try {
      socket.write(exactBuffer(data), address, port);
      this.stats.sent++;
    } catch (e) {
      // lwIP wants an IP literal; a host name or a full pbuf pool lands here.
      this.stats.sendErrors++;
      this.log.warn(`udp: send to ${address}:${port} failed: ${errorText(e)}`);
    }
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) socket.close();
  }

  private drain(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    for (;;) {
      const datagram = socket.read();
      if (datagram === undefined) return;
      if (datagram.byteLength > this.maxDatagramBytes) {
        this.stats.droppedOversize++;
        continue;
      }
      const handler = this.onReceive;
      if (handler === null) {
        this.stats.droppedNoHandler++;
        continue;
      }
      this.stats.received++;
      try {
        handler(new Uint8Array(datagram), datagram.address, datagram.port);
      } catch (e) {
        // The core answers peers itself; anything escaping is a bug worth a line, not a crash.
        this.log.error(`udp: receive handler threw: ${errorText(e)}`);
      }
      if (this.socket === undefined) return; // closed from inside the handler
    }
  }
}

/** The host function takes an ArrayBuffer; copy only when the view does not cover its whole buffer. */
export function exactBuffer(data: Uint8Array): ArrayBuffer {
  const buffer = data.buffer;
  if (data.byteOffset === 0 && data.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer) {
    return buffer;
  }
  return data.slice().buffer as ArrayBuffer;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
