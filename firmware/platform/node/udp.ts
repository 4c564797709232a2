// Node datagram port over node:dgram (IPv4 and IPv6). Received Buffers are
// copied into plain Uint8Arrays so the core never sees a Buffer.
import * as dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { DatagramTransport, Logger } from '../ports';

export interface UdpOptions {
  /** Local port; 0 or absent for an ephemeral one. */
  port?: number;
  /** Local address; default '0.0.0.0'. Use '::' or '::1' for IPv6. */
  address?: string;
  /** Where send errors go (never thrown into the core). */
  log?: Logger;
}

export type UdpTransport = DatagramTransport & { readonly port: number; readonly address: string };

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The core sends to IP literals only (it resolves names itself, client.ts): dgram's default
 * lookup still defers every send by a tick through dns.lookup; an IP literal goes at once.
 */
function literalLookup(host: string, options: LookupOneOptions | number, cb: LookupCallback): void {
  const family = isIP(host);
  if (family !== 0) {
    cb(null, host, family);
    return;
  }
  dnsLookup(host, typeof options === 'number' ? { family: options } : options, cb);
}

export function openUdp(opts: UdpOptions = {}): Promise<UdpTransport> {
  const address = opts.address ?? '0.0.0.0';
  const v6 = isIPv6(address);
  const socket = dgram.createSocket({
    type: v6 ? 'udp6' : 'udp4',
    ipv6Only: v6 && address !== '::' ? true : undefined,
    lookup: literalLookup as unknown as dgram.SocketOptions['lookup'],
  });
  let closed = false;
  // dgram.send resolves the address asynchronously: a socket closed at once
  // would lose the last datagrams (a De-register, a close_notify). close()
  // stops new sends and closes the socket once those in flight have left.
  let inFlight = 0;
  let closeWhenIdle = false;
  const transport = {
    onReceive: null as UdpTransport['onReceive'],
    port: 0,
    address,
    send(data: Uint8Array, to: string, port: number): void {
      if (closed) return;
      inFlight++;
      socket.send(data, port, to, sent);
    },
    close(): void {
      if (closed) return;
      closed = true;
      transport.onReceive = null;
      if (inFlight === 0) socket.close();
      else closeWhenIdle = true;
    },
  };
  // One completion callback for every send (no closure per datagram on the hot path).
  const sent = (err: Error | null): void => {
    if (err) opts.log?.warn(`udp: send failed: ${err.message}`);
    if (--inFlight === 0 && closeWhenIdle) socket.close();
  };
  socket.on('message', (msg, rinfo) => {
    const cb = transport.onReceive;
    if (!cb) return;
    // Copy: a Buffer may be a view on a pooled ArrayBuffer.
    const data = new Uint8Array(msg.length);
    data.set(msg);
    let from = rinfo.address;
    if (from.startsWith('::ffff:') && from.includes('.')) from = from.slice(7); // IPv4-mapped on a dual-stack socket
    try {
      cb(data, from, rinfo.port);
    } catch (e) {
      opts.log?.error(`udp: receive handler threw: ${(e as Error).message}`);
    }
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      closed = true;
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind(opts.port ?? 0, address, () => {
      socket.off('error', onError);
      socket.on('error', (err) => opts.log?.warn(`udp: socket error: ${err.message}`));
      transport.port = socket.address().port;
      resolve(transport);
    });
  });
}
