// Deduplication cache (RFC 7252 §4.5): one entry per (peer, Message ID) of a
// received CON/NON, kept EXCHANGE_LIFETIME (CON) or NON_LIFETIME (NON), so a
// duplicate gets the cached reply and never reaches the handler twice.
// Bounded: `capacity` entries. When full, expired entries go first, then the
// oldest entry whose exchange is over: §4.5 lets a constrained node relax
// deduplication, and a cache that refused new requests instead would lock a
// server that polls out for EXCHANGE_LIFETIME. Only when every entry is still
// being processed does `add` return null (5.03 for a CON request, drop for NON).

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
  /** In insertion order, which is expiry order for entries of one lifetime. */
  private readonly entries = new Map<string, DedupEntry>();
  /** Live entries given up to make room. */
  evicted = 0;

  constructor(readonly capacity: number) {}

  get size(): number { return this.entries.size; }

  /** Live entry for key, or undefined (an expired entry is removed). */
  get(key: string, now: number): DedupEntry | undefined {
    const e = this.entries.get(key);
    if (e && e.expires <= now) { this.entries.delete(key); return undefined; }
    return e;
  }

  /** New entry, or null when the cache is full of exchanges still being processed. */
  add(key: string, now: number, lifetime: number): DedupEntry | null {
    if (this.entries.size >= this.capacity) {
      this.purge(now);
      if (this.entries.size >= this.capacity && !this.evictOldest()) return null;
    }
    const e: DedupEntry = { expires: now + lifetime, reply: null, acked: false, processing: true };
    this.entries.set(key, e);
    return e;
  }

  /** Drop expired entries; O(n), run only when the cache is full. */
  purge(now: number): void {
    for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
  }

  private evictOldest(): boolean {
    for (const [k, e] of this.entries) {
      if (e.processing) continue;
      this.entries.delete(k);
      this.evicted++;
      return true;
    }
    return false;
  }

  /** Earliest expiry among live entries (for a Max-Age hint on 5.03). */
  earliestExpiry(): number {
    let t = Infinity;
    for (const e of this.entries.values()) if (e.expires < t) t = e.expires;
    return t;
  }

  clear(): void { this.entries.clear(); }
}
