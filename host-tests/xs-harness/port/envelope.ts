// Binary envelope between Node and the core running in XS on the host
// (xsnap). Shared by both sides, so it is plain ES2022. Datagram bytes ride
// as-is inside the xsnap netstrings (no base64).
//
// Node -> XS (argument of handleCommand): [op u8][now f64 BE][body]
//   DATAGRAM  body: socket u8, port u16, addrLen u8, addr, data
//   TIMER     body: timer id u32
//   CALL      body: nameLen u8, name, payload
//   TICK      body: none (just advances the XS view of the clock)
// Reply of a CALL: [status u8][data]: CALL_OK data, CALL_ERROR utf8 message,
// CALL_PENDING (the handler's promise had not settled when the turn ended).
//
// XS -> Node (argument of issueCommand): [op u8][body]
//   SEND        socket u8, port u16, addrLen u8, addr, data      reply: empty
//   SET_TIMER   id u32, ms f64                                  reply: empty
//   CLEAR_TIMER id u32                                          reply: empty
//   LOG         level u8, utf8 message                          reply: empty
//   OPEN_UDP    port u16, addrLen u8, addr    reply: socket u8, port u16, addrLen u8, addr; empty on failure
//   CLOSE_UDP   socket u8                                       reply: empty
//   EVENT       nameLen u8, name, payload                       reply: empty

import { utf8Decode, utf8Encode } from '../../../firmware/util/utf8';

export const ToXs = { TICK: 0, DATAGRAM: 1, TIMER: 2, CALL: 3 } as const;
export const FromXs = { SEND: 1, SET_TIMER: 2, CLEAR_TIMER: 3, LOG: 4, OPEN_UDP: 5, CLOSE_UDP: 6, EVENT: 7 } as const;
export const CallStatus = { OK: 1, ERROR: 2, PENDING: 3 } as const;
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** Longest address or name the one-byte length fields carry. */
export const MAX_SHORT_STRING = 255;

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
    return this;
  }
  f64(v: number): this {
    this.room(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  /** One-byte length then UTF-8 bytes; throws if the string does not fit (caller's bug, not peer data). */
  short(s: string): this {
    const b = utf8Encode(s);
    if (b.length > MAX_SHORT_STRING) throw new RangeError('envelope string longer than 255 bytes');
    return this.u8(b.length).bytes(b);
  }
  /** A fresh ArrayBuffer holding exactly the written bytes. */
  finish(): ArrayBuffer {
    return this.buf.slice(0, this.length).buffer;
  }
}

export class Reader {
  private readonly view: DataView;
  offset = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(): number {
    return this.view.getUint8(this.offset++);
  }
  u16(): number {
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  f64(): number {
    const v = this.view.getFloat64(this.offset);
    this.offset += 8;
    return v;
  }
  short(): string {
    const n = this.u8();
    const s = utf8Decode(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return s;
  }
  /** The remaining bytes (a view, not a copy). */
  rest(): Uint8Array {
    const r = this.bytes.subarray(this.offset);
    this.offset = this.bytes.length;
    return r;
  }
}
