// Bounds-checked big-endian reading and writing of TLS structures
// (RFC 5246 §4: uint8/16/24/48, vectors with a length prefix). A short or
// over-long field throws DecodeError, which the record and handshake layers
// catch and turn into a drop or a decode_error alert; it never leaves them.

export class DecodeError extends Error {
  override readonly name: string = 'DecodeError';
}

export class Reader {
  offset = 0;
  constructor(
    readonly buf: Uint8Array,
    offset = 0,
    private readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.end) throw new DecodeError('truncated');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }
  u16(): number {
    this.need(2);
    const b = this.buf,
      o = this.offset;
    this.offset += 2;
    return (b[o] << 8) | b[o + 1];
  }
  u24(): number {
    this.need(3);
    const b = this.buf,
      o = this.offset;
    this.offset += 3;
    return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
  }
  u48(): number {
    const hi = this.u16();
    const b = this.buf,
      o = this.offset;
    this.need(4);
    this.offset += 4;
    return hi * 0x100000000 + ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  }

  /** n bytes as a view (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A vector with a 1-, 2- or 3-byte length prefix, its length within [min, max]. */
  vector(prefix: 1 | 2 | 3, min: number, max: number): Uint8Array {
    const n = prefix === 1 ? this.u8() : prefix === 2 ? this.u16() : this.u24();
    if (n < min || n > max) throw new DecodeError('vector length out of range');
    return this.bytes(n);
  }

  /** Everything up to the end. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** Throws unless every byte was read (RFC 5246 §7.4: trailing bytes are a decode_error). */
  done(): void {
    if (this.offset !== this.end) throw new DecodeError('trailing bytes');
  }
}

/** Appends into a growing buffer; sizes are known small (handshake messages, records). */
export class Writer {
  private buf: Uint8Array;
  length = 0;
  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u24(v: number): this {
    this.room(3);
    this.buf[this.length++] = (v >>> 16) & 0xff;
    return this.u16(v & 0xffff);
  }
  u48(v: number): this {
    this.u16(Math.floor(v / 0x100000000));
    const lo = v % 0x100000000;
    return this.u16(lo >>> 16).u16(lo & 0xffff);
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  vector(prefix: 1 | 2 | 3, b: Uint8Array): this {
    if (prefix === 1) this.u8(b.length);
    else if (prefix === 2) this.u16(b.length);
    else this.u24(b.length);
    return this.bytes(b);
  }

  /** The bytes written (a copy sized exactly). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export { bytesEqual, constantTimeEqual } from '../util/bytes';
