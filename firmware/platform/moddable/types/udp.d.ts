// What the ECMA-419 UDP socket on Moddable really does, as opposed to what
// npm @moddable/typings 5.6.0 declares. Checked against the implementation
// (modules/io/socket/lwip/udp.c, xs_udp_write: arg 0 address, arg 1 port,
// arg 2 buffer) and the SDK's own current typings:
//  - write() takes (address, port, buffer); the npm typing has the buffer first,
//    which compiles and then fails on the device with "invalid IP address";
//  - read() returns undefined when the receive queue is empty;
//  - close() exists (the npm typing omits it).
// This is a plain type module (not `declare module`), so it never clashes with
// whichever copy of the SDK typings a build has; the port casts the imported
// class to these types once, in udp-transport.ts.

/** One received datagram: the bytes plus the sender. */
export type UdpDatagram = ArrayBuffer & { readonly address: string; readonly port: number };

export interface UdpSocket {
  /** Sends one datagram. Throws RangeError when `address` is not an IP literal. */
  write(address: string, port: number, buffer: ArrayBuffer | ArrayBufferView): void;
  /** Next queued datagram, or undefined when the queue is empty. */
  read(): UdpDatagram | undefined;
  close(): void;
}

export interface UdpOptions {
  /** Local port; omitted = ephemeral. */
  port?: number;
  /** Called with the number of datagrams waiting. */
  onReadable?: (this: UdpSocket, count: number) => void;
  onError?: (this: UdpSocket) => void;
  format?: 'buffer';
}

export type UdpConstructor = new (options: UdpOptions) => UdpSocket;
