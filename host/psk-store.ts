// The host servers' Pre-Shared Keys: which PSK identity and key belong to which
// LwM2M endpoint (the server's side of the client's /0/x/3 and /0/x/5). The
// DTLS server looks a key up by the identity a client presents; the
// registration (or Bootstrap-Request) is then accepted only for the endpoint
// that identity belongs to. Keys are never listed, logged or put in errors.
import { pskIdentityTag } from '../firmware/dtls/mux';
import { fromHex, parseHex, toHex } from '../firmware/util/hex';
import { checkPskLength } from './psk-key';
import { utf8Decode, utf8Encode } from '../firmware/util/utf8';

export interface PskEntry {
  endpoint: string;
  identity: string;
  key: Uint8Array;
}

/** A credential as a JSON file or the console gives it: key as hex. */
export interface PskJson {
  identity: string;
  keyHex: string;
}

/** The PSK identity a Peer carries (pskIdentityTag) as text, for logs and the console. */
export function identityText(tag: string | undefined): string | undefined {
  if (!tag?.startsWith('psk:')) return undefined;
  return utf8Decode(fromHex(tag.slice(4)));
}

export class PskStore {
  private readonly byEndpoint = new Map<string, PskEntry>();
  private readonly byTag = new Map<string, PskEntry>();
  /** Told after each change (the CLI writes --psk-file again). */
  onChange: (() => void) | null = null;

  /** Adds or replaces an endpoint's credentials; an identity belongs to one endpoint only. */
  set(endpoint: string, identity: string, key: Uint8Array): void {
    if (!endpoint) throw new Error('psk: endpoint name missing');
    if (!identity) throw new Error(`psk: identity missing for ${endpoint}`);
    if (key.length === 0) throw new Error(`psk: key missing for ${endpoint}`);
    const tag = pskIdentityTag(utf8Encode(identity));
    const other = this.byTag.get(tag);
    if (other && other.endpoint !== endpoint)
      throw new Error(`psk: identity ${JSON.stringify(identity)} already belongs to ${other.endpoint}`);
    this.forget(endpoint);
    const e: PskEntry = { endpoint, identity, key: key.slice() };
    this.byEndpoint.set(endpoint, e);
    this.byTag.set(tag, e);
    this.onChange?.();
  }

  /** From the JSON form ({ identity, keyHex }); throws naming the field, never echoing the key. */
  setJson(endpoint: string, j: PskJson): void {
    if (!j || typeof j.identity !== 'string' || typeof j.keyHex !== 'string')
      throw new Error(`psk: ${endpoint} needs "identity" and "keyHex"`);
    const key = parseHex(j.keyHex);
    if (key === undefined) throw new Error(`psk: ${endpoint}: keyHex must be an even number of hex digits`);
    this.set(endpoint, j.identity, checkPskLength(key, `psk: ${endpoint}`));
  }

  delete(endpoint: string): boolean {
    if (!this.forget(endpoint)) return false;
    this.onChange?.();
    return true;
  }

  private forget(endpoint: string): boolean {
    const e = this.byEndpoint.get(endpoint);
    if (!e) return false;
    this.byEndpoint.delete(endpoint);
    this.byTag.delete(pskIdentityTag(utf8Encode(e.identity)));
    return true;
  }

  /** The whole store in the --psk-file form, keys included: for that file only, never for a log or an answer. */
  toFileJson(): Record<string, PskJson> {
    return Object.fromEntries([...this.byEndpoint.values()].map((e) => [e.endpoint, { identity: e.identity, keyHex: toHex(e.key) }]));
  }

  forEndpoint(endpoint: string): PskEntry | undefined {
    return this.byEndpoint.get(endpoint);
  }

  /** By the identity bytes a DTLS client presented. */
  forIdentity(identity: Uint8Array): PskEntry | undefined {
    return this.byTag.get(pskIdentityTag(identity));
  }

  /** By the identity a Peer carries. */
  forTag(tag: string | undefined): PskEntry | undefined {
    return tag === undefined ? undefined : this.byTag.get(tag);
  }

  /** Endpoints and identities: never keys. */
  list(): Array<{ endpoint: string; identity: string }> {
    return [...this.byEndpoint.values()].map((e) => ({ endpoint: e.endpoint, identity: e.identity }));
  }

  get size(): number {
    return this.byEndpoint.size;
  }
}
