// Observe helpers (RFC 7641).

/** Observe sequence numbers are 24-bit. */
export const OBSERVE_SEQ_MASK = 0xffffff;

/** RFC 7641 §3.4: a notification is fresh if V2 follows V1 in 24-bit serial arithmetic, or 128 s have passed. */
export function isFreshNotification(v1: number, t1: number, v2: number, t2: number): boolean {
  return (v1 < v2 && v2 - v1 < 0x800000) || (v1 > v2 && v1 - v2 > 0x800000) || t2 > t1 + 128_000;
}
