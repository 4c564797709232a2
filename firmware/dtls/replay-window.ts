// The anti-replay window of RFC 6347 §4.1.2.6: the highest sequence_number
// authenticated so far and a 64-entry bitmap below it. A record is checked
// before it is decrypted and marked only after it authenticates, so a forged
// record cannot move the window.

/** Window size; RFC 6347 §4.1.2.6 says the minimum is 32 and 64 is preferred. */
export const REPLAY_WINDOW_SIZE = 64;

export class ReplayWindow {
  /** Highest sequence_number marked; -1 before the first. */
  private top = -1;
  /** seen[seq % 64]: was `seq` (within the window below `top`) marked. */
  private readonly seen = new Uint8Array(REPLAY_WINDOW_SIZE);

  /** True when `seq` is new and not too old to tell (left of the window). */
  check(seq: number): boolean {
    if (seq > this.top) return true;
    if (this.top - seq >= REPLAY_WINDOW_SIZE) return false;
    return this.seen[seq % REPLAY_WINDOW_SIZE] === 0;
  }

  /** True when `seq` is above every sequence_number marked so far (RFC 9146 §6: only such a record may move the peer's address). */
  isNewest(seq: number): boolean {
    return seq > this.top;
  }

  /** Record `seq` as received; call only after the record authenticated. */
  mark(seq: number): void {
    if (seq > this.top) {
      // Slide: entries between the old top and seq become "not seen" (at most 64 of them).
      const clear = Math.min(seq - this.top, REPLAY_WINDOW_SIZE);
      for (let i = 0; i < clear; i++) this.seen[(seq - i) % REPLAY_WINDOW_SIZE] = 0;
      this.top = seq;
    }
    this.seen[seq % REPLAY_WINDOW_SIZE] = 1;
  }

  /** The window in 8 + 8 bytes (a session kept across a deep sleep): top + 1 (0: nothing marked yet), a bit per seen entry. */
  save(): Uint8Array {
    const out = new Uint8Array(16);
    const next = this.top + 1;
    const view = new DataView(out.buffer);
    view.setUint16(2, Math.floor(next / 2 ** 32));
    view.setUint32(4, next % 2 ** 32);
    for (let i = 0; i < REPLAY_WINDOW_SIZE; i++) if (this.seen[i] !== 0) out[8 + (i >> 3)] |= 1 << (i & 7);
    return out;
  }

  /** The window save() gave; false (and the window unchanged) when the bytes are not one. */
  load(saved: Uint8Array): boolean {
    if (saved.length !== 16) return false;
    const view = new DataView(saved.buffer, saved.byteOffset, 16);
    this.top = view.getUint16(2) * 2 ** 32 + view.getUint32(4) - 1;
    for (let i = 0; i < REPLAY_WINDOW_SIZE; i++) this.seen[i] = (saved[8 + (i >> 3)]! >> (i & 7)) & 1;
    return true;
  }
}
