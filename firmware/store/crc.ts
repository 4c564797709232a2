// Checksums for the record store and the object codec.
// CRC-32 is the IEEE 802.3 one (reflected, poly 0xEDB88320) so images can be
// checked with any standard tool; a 16-entry table keeps it at 64 bytes of RAM.
// CRC-16 is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), computed bitwise:
// it only guards small encoded instances.

const T4 = new Uint32Array(16);
for (let i = 0; i < 16; i++) {
  let c = i;
  for (let k = 0; k < 4; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  T4[i] = c >>> 0;
}

/** CRC-32 of data[start, end). */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c ^= data[i];
    c = (c >>> 4) ^ T4[c & 15];
    c = (c >>> 4) ^ T4[c & 15];
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-16/CCITT-FALSE of data[start, end). */
export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffff;
  for (let i = start; i < end; i++) {
    c ^= data[i] << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}
