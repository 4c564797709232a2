// Deduplication cache (RFC 7252 §4.5): one entry per (peer, Message ID) of a
// received CON/NON, kept EXCHANGE_LIFETIME (CON) or NON_LIFETIME (NON), so a
// duplicate gets the cached reply and never reaches the handler twice.
// Bounded: `capacity` entries, at most half of them one peer's (fair-share.ts).
// A peer at its share gives up its own oldest finished exchange; a full cache
// drops expired entries, then the oldest finished exchange of the peer that
// holds most: §4.5 lets a constrained node relax deduplication, and a cache
// that refused new requests instead would lock a server that polls out for
// EXCHANGE_LIFETIME. Only when the entries that could go are all still being
// processed does `add` return null (5.03 for a CON request, drop for NON).
import { DEDUP, victim, type PeerShares } from './fair-share';

export interface DedupEntry {
  expires: number;
  /** Bytes to replay to a duplicate (piggybacked ACK, empty ACK, RST); null while processing or when ignored. */
  reply: Uint8Array | null;
  /** An ACK (empty or piggybacked) went out for this CON. */
  acked: boolean;
  /** The handler is still running. */
  processing: boolean;
  /** Key of the peer it came from (transport.ts peerKey). */
  readonly peer: string;
}

function processing(e: DedupEntry): boolean {
  return e.processing;
}

export class DedupCache {
  /** In insertion order, which is expiry order for entries of one lifetime. */
  private readonly entries = new Map<string, DedupEntry>();
  /** Live entries given up to make room. */
  evicted = 0;

  constructor(
    readonly capacity: number,
    private readonly shares: PeerShares,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Live entry for key, or undefined (an expired entry is removed). */
  get(key: string, now: number): DedupEntry | undefined {
    const e = this.entries.get(key);
    if (e && e.expires <= now) {
      this.remove(key, e);
      return undefined;
    }
    return e;
  }

  /** New entry of `peer`, or null when no entry that could make room is finished. */
  add(key: string, peer: string, now: number, lifetime: number): DedupEntry | null {
    if (this.shares.atShare(peer, DEDUP, this.capacity)) {
      if (!this.evict(peer, now)) {
        this.shares.refused();
        return null;
      }
    } else if (this.entries.size >= this.capacity) {
      this.purge(now);
      if (this.entries.size >= this.capacity && !this.evict(null, now)) return null;
    }
    const e: DedupEntry = { expires: now + lifetime, reply: null, acked: false, processing: true, peer };
    this.entries.set(key, e);
    this.shares.take(peer, DEDUP);
    return e;
  }

  /** Drop expired entries; O(n), run only when the cache is full. */
  purge(now: number): void {
    for (const [k, e] of this.entries) if (e.expires <= now) this.remove(k, e);
  }

  /** Gives up the oldest finished entry of `peer`, or of the peer that holds most. */
  private evict(peer: string | null, now: number): boolean {
    const k = victim(this.entries, this.shares, DEDUP, processing, peer);
    if (k === undefined) return false;
    const e = this.entries.get(k)!;
    if (e.expires > now) this.evicted++;
    this.remove(k, e);
    return true;
  }

  private remove(key: string, e: DedupEntry): void {
    this.entries.delete(key);
    this.shares.release(e.peer, DEDUP);
  }

  /** Earliest expiry among live entries (for a Max-Age hint on 5.03). */
  earliestExpiry(): number {
    let t = Infinity;
    for (const e of this.entries.values()) if (e.expires < t) t = e.expires;
    return t;
  }

  clear(): void {
    this.entries.clear();
    this.shares.clear(DEDUP);
  }
}
