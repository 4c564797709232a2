// Fair shares of the stack's bounded tables. Each table a peer fills by what
// it sends (the deduplication cache, Block1 reassemblies, Block2 bodies kept
// for follow-ups, observe relations, our CON messages awaiting its ACK)
// counts here what every peer holds, so that no peer holds more than half of
// a table and one busy or hostile peer can never lock another out. A peer at
// its share gives up its own oldest entry where that costs nothing but a
// repeat (a finished exchange, an unfinished Block1 body, a Block2 body) and
// is refused where it would cost another's work (a relation, a CON); a full
// table gives up an entry of the peer that holds most of it.
import type { EndpointStats } from './api';

/** The tables, as indexes into a peer's counts. */
export const DEDUP = 0;
export const BLOCK1 = 1;
export const BLOCK2 = 2;
export const RELATIONS = 3;
export const CONS = 4;
const TABLES = 5;

/** The most entries of a table of `capacity` that one peer may hold: half, rounded up. */
export function peerShare(capacity: number): number {
  return capacity > 1 ? Math.ceil(capacity / 2) : 1;
}

export class PeerShares {
  /** Entries held, per peer key and table (bound: a record only while a peer holds an entry, so the tables' capacities summed). */
  private readonly held = new Map<string, number[]>();
  /** Per table t: entries now at [t], the most there ever were at [TABLES + t], the most one peer ever held at [2 TABLES + t]. */
  private readonly tallies: number[] = new Array<number>(3 * TABLES).fill(0);

  constructor(private readonly stats: EndpointStats) {}

  /** Entries in `table` now. */
  used(table: number): number {
    return this.tallies[table];
  }
  /** The most entries `table` ever had. */
  peak(table: number): number {
    return this.tallies[TABLES + table];
  }
  /** The most entries of `table` one peer ever held. */
  peakHeld(table: number): number {
    return this.tallies[2 * TABLES + table];
  }

  count(peer: string, table: number): number {
    const h = this.held.get(peer);
    return h === undefined ? 0 : h[table];
  }

  /** Whether `peer` holds its share of `table` already. */
  atShare(peer: string, table: number, capacity: number): boolean {
    return this.count(peer, table) >= peerShare(capacity);
  }

  /** An entry was refused because its peer holds its share. */
  refused(): void {
    this.stats.overShare++;
  }

  take(peer: string, table: number): void {
    let h = this.held.get(peer);
    if (h === undefined) {
      h = new Array<number>(TABLES).fill(0);
      this.held.set(peer, h);
    }
    const t = this.tallies;
    const n = ++h[table];
    if (n > t[2 * TABLES + table]) t[2 * TABLES + table] = n;
    const u = ++t[table];
    if (u > t[TABLES + table]) t[TABLES + table] = u;
  }

  release(peer: string, table: number): void {
    const h = this.held.get(peer);
    if (h === undefined || h[table] === 0) return;
    h[table]--;
    this.tallies[table]--;
    for (let t = 0; t < TABLES; t++) if (h[t] !== 0) return;
    this.held.delete(peer);
  }

  /** Forgets what peers hold of `table` (its table was cleared). */
  clear(table: number): void {
    for (const [peer, h] of this.held) {
      h[table] = 0;
      let empty = true;
      for (let t = 0; t < TABLES; t++) if (h[t] !== 0) empty = false;
      if (empty) this.held.delete(peer);
    }
    this.tallies[table] = 0;
  }
}

/**
 * The key of the entry a table gives up: the oldest entry of `only`, or,
 * without `only`, the oldest of the peer that holds most of `table`; never
 * one that `busy` says is still in use. Undefined when none may go.
 */
export function victim<T extends { readonly peer: string }>(
  entries: Map<string, T>,
  shares: PeerShares,
  table: number,
  busy: ((e: T) => boolean) | null,
  only: string | null,
): string | undefined {
  let best: string | undefined;
  let most = 0;
  for (const [k, e] of entries) {
    if (busy !== null && busy(e)) continue;
    if (only !== null) {
      if (e.peer === only) return k;
      continue;
    }
    const n = shares.count(e.peer, table);
    if (n > most) {
      most = n;
      best = k;
    }
  }
  return best;
}
