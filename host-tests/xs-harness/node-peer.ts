// A minimal node:dgram DatagramTransport for the Node peer in XS tests
// (independent of the Node port so these tests pin the XS side only).
import dgram from 'node:dgram';
import type { DatagramTransport, Random, Timers } from '../../firmware/platform/ports';

export async function loopbackUdp(): Promise<DatagramTransport & { port: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const t: DatagramTransport & { port: number } = {
    port: sock.address().port,
    onReceive: null,
    send(data, address, port) {
      sock.send(data, port, address);
    },
    close() {
      sock.close();
    },
  };
  sock.on('message', (m, r) => t.onReceive?.(new Uint8Array(m), r.address, r.port));
  return t;
}

export const nodeTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (cb, ms) => setTimeout(cb, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export const mathRandom: Random = {
  bytes: (n) => Uint8Array.from({ length: n }, () => (Math.random() * 256) | 0),
  float: () => Math.random(),
};
