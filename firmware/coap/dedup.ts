// Deduplication cache (RFC 7252 §4.5): one entry per (peer, Message ID) of a
// received CON/NON, kept EXCHANGE_LIFETIME (CON) or NON_LIFETIME (NON), so a
// duplicate gets the cached reply and never reaches the handler twice.
// Bounded: `capacity` entries; when full of live entries `add` returns null
// and the caller degrades (5.03 for a CON request, drop for NON).

export interface DedupEntry {
  expires: number;
  /** Bytes to replay to a duplicate (piggybacked ACK, empty ACK, RST); null while processing or when ignored. */
  reply: Uint8Array | null;
  /** An ACK (empty or piggybacked) went out for this CON. */
  acked: boolean;
  /** The handler is still running. */
  processing: boolean;
}

export class DedupCache {
  private readonly entries = new Map<string, DedupEntry>();

  constructor(readonly capacity: number) {}

  get size(): number { return this.entries.size; }

  /** Live entry for key, or undefined (an expired entry is removed). */
  get(key: string, now: number): DedupEntry | undefined {
    const e = this.entries.get(key);
    if (e && e.expires <= now) { this.entries.delete(key); return undefined; }
    return e;
  }

  /** New entry, or null when the cache is full of live entries. */
  add(key: string, now: number, lifetime: number): DedupEntry | null {
    if (this.entries.size >= this.capacity) {
      this.purge(now);
      if (this.entries.size >= this.capacity) return null;
    }
    const e: DedupEntry = { expires: now + lifetime, reply: null, acked: false, processing: true };
    this.entries.set(key, e);
    return e;
  }

  /** Drop expired entries; O(n), run only when the cache is full. */
  purge(now: number): void {
    for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
  }

  /** Earliest expiry among live entries (for a Max-Age hint on 5.03). */
  earliestExpiry(): number {
    let t = Infinity;
    for (const e of this.entries.values()) if (e.expires < t) t = e.expires;
    return t;
  }

  clear(): void { this.entries.clear(); }
}
