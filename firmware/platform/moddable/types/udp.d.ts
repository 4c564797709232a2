// The ECMA-419 UDP socket (`embedded:io/socket/udp`) as the SDK implements it
// (modules/io/socket/lwip/udp.c on ESP32, modules/io/socket/lin/udp on the
// Linux runtime), where npm @moddable/typings 5.6.0 falls short:
//  - write(buffer, address, port): the buffer comes first, as the npm typing
//    says (the SDK changed the order in 5.7.0);
//  - read() returns undefined when the receive queue is empty;
//  - close() exists (the npm typing omits it).
// This is a plain type module (not `declare module`), so it never clashes with
// whichever copy of the SDK typings a build has; the port casts the imported
// class to these types once, in udp-transport.ts.

/** One received datagram: the bytes plus the sender. */
export type UdpDatagram = ArrayBuffer & { readonly address: string; readonly port: number };

export interface UdpSocket {
  /** Sends one datagram. Throws RangeError when `address` is not an IP literal. */
  write(buffer: ArrayBuffer | ArrayBufferView, address: string, port: number): void;
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
