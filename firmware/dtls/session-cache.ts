// What resuming a session needs (RFC 5246 §7.3-7.4.1.2): the session_id, the
// master secret, the cipher suite, whether the extended master secret was
// used (RFC 7627 §5.3) and the PSK identity it was made with. A bounded
// cache: when full, the oldest entry is forgotten (a forgotten session only
// costs a full handshake). The master secrets it holds are never logged.

export interface ResumableSession {
  sessionId: Uint8Array;
  masterSecret: Uint8Array;
  cipherSuite: number;
  extendedMasterSecret: boolean;
  identity: Uint8Array;
}

export class SessionCache {
  private readonly entries = new Map<string, ResumableSession>();

  constructor(readonly capacity: number) {}

  get size(): number { return this.entries.size; }

  get(key: string): ResumableSession | undefined { return this.entries.get(key); }

  set(key: string, s: ResumableSession): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.forget(oldest);
    }
    this.entries.set(key, s);
  }

  /** Drops an entry and wipes its master secret. */
  forget(key: string): void {
    const s = this.entries.get(key);
    if (!s) return;
    s.masterSecret.fill(0);
    this.entries.delete(key);
  }

  clear(): void {
    for (const k of [...this.entries.keys()]) this.forget(k);
  }
}
