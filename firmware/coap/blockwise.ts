// Block-wise transfer state (RFC 7959) kept by the server side of an endpoint:
// Block1 reassembly sessions and Block2 bodies kept for follow-up requests.
// Both tables are bounded (`capacity`) and entries idle longer than `timeout`
// are dropped.
import type { CoapMessage } from './message';
import { OptionNumber } from './message';

export interface Block1Session {
  parts: Uint8Array[];
  received: number;
  expires: number;
}

export interface Block2Body {
  code: number;
  contentFormat?: number;
  body: Uint8Array;
  expires: number;
}

const BLOCK_OPTIONS = new Set<number>([OptionNumber.BLOCK1, OptionNumber.BLOCK2, OptionNumber.SIZE1,
  OptionNumber.SIZE2, OptionNumber.OBSERVE]);

/**
 * Token- and MID-independent key of a request: peer, method and every option
 * except Block1/Block2/Size1/Size2/Observe, so all blocks of one transfer (and
 * the GETs that fetch the rest of a notification) map to the same entry.
 */
export function requestKey(peerKey: string, m: CoapMessage): string {
  let k = `${peerKey}|${m.code}`;
  for (const o of m.options) {
    if (BLOCK_OPTIONS.has(o.number)) continue;
    k += `|${o.number}:`;
    for (let i = 0; i < o.value.length; i++) k += o.value[i].toString(16).padStart(2, '0');
  }
  return k;
}

/** A bounded map with idle expiry. */
export class SessionTable<T extends { expires: number }> {
  private readonly map = new Map<string, T>();

  constructor(readonly capacity: number, readonly timeout: number) {}

  get size(): number { return this.map.size; }

  get(key: string, now: number): T | undefined {
    const e = this.map.get(key);
    if (e && e.expires <= now) { this.map.delete(key); return undefined; }
    return e;
  }

  /** Store under key; false when the table is full of live sessions. */
  set(key: string, value: T, now: number): boolean {
    if (!this.map.has(key) && this.map.size >= this.capacity) {
      for (const [k, e] of this.map) if (e.expires <= now) this.map.delete(k);
      if (this.map.size >= this.capacity) return false;
    }
    value.expires = now + this.timeout;
    this.map.set(key, value);
    return true;
  }

  /** Evict the oldest entry (insertion order) to make room; true if one was evicted. */
  evictOldest(): boolean {
    for (const k of this.map.keys()) { this.map.delete(k); return true; }
    return false;
  }

  touch(value: T, now: number): void { value.expires = now + this.timeout; }

  delete(key: string): void { this.map.delete(key); }

  clear(): void { this.map.clear(); }
}

export function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let p = 0;
  for (const x of parts) { out.set(x, p); p += x.length; }
  return out;
}
