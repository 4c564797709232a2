// What resuming a session needs (RFC 5246 §7.3-7.4.1.2): the session_id, the
// master secret, the cipher suite, whether the extended master secret was
// used (RFC 7627 §5.3) and the PSK identity it was made with; and what keeps
// a resumption honest: a fingerprint of the PSK it was made with (a session
// made with a key that has since changed is not resumed) and when it was made
// (a session is resumed for a bounded time, RFC 5246 §F.1.4). A bounded cache:
// when full, the oldest entry is forgotten (a forgotten session only costs a
// full handshake). The secrets it holds are never logged.
import type { DtlsCrypto } from './crypto';
import { constantTimeEqual } from './bytes';

/** RFC 5246 §F.1.4 suggests at most 24 hours for a session_id. */
export const DEFAULT_SESSION_LIFETIME_MS = 24 * 3600_000;

export interface ResumableSession {
  sessionId: Uint8Array;
  masterSecret: Uint8Array;
  cipherSuite: number;
  extendedMasterSecret: boolean;
  identity: Uint8Array;
  /** SHA-256 of the PSK the full handshake used (pskFingerprint). */
  pskCheck: Uint8Array;
  /** When its full handshake completed (a resumption keeps the time: the lifetime runs from there). */
  createdAt: number;
}

/** What identifies a PSK without holding it: its SHA-256. */
export function pskFingerprint(crypto: DtlsCrypto, psk: Uint8Array): Uint8Array {
  return crypto.sha256(psk);
}

/** The session was made with this key. */
export function madeWithKey(crypto: DtlsCrypto, s: ResumableSession, psk: Uint8Array): boolean {
  return constantTimeEqual(pskFingerprint(crypto, psk), s.pskCheck);
}

export class SessionCache {
  private readonly entries = new Map<string, ResumableSession>();

  constructor(
    readonly capacity: number,
    private readonly lifetimeMs = DEFAULT_SESSION_LIFETIME_MS,
    private readonly now: () => number = () => 0,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry, unless it is past its lifetime (then it is forgotten). */
  get(key: string): ResumableSession | undefined {
    const s = this.entries.get(key);
    if (s && this.now() - s.createdAt >= this.lifetimeMs) {
      this.forget(key);
      return undefined;
    }
    return s;
  }

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
