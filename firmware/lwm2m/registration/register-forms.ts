// The form of Register (registration/register-fallback.ts) each server took, kept across
// restarts: a strict server (Wakaama's answers the full form 4.00) is then
// sent the form it takes at the first Register after a boot, instead of being
// asked again with the full one each time. Per server by Short Server ID and
// URI, so a server that changed (a new bootstrap) starts from the full form;
// one that takes the full form is not stored at all. One record beside the
// configuration, bounded by MAX_REMEMBERED entries.
import type { Logger } from '../../platform/ports';
import { utf8Decode, utf8Encode } from '../../util/utf8';
import type { ConfigPersistence } from '../engine/client-options';
import { FORM_1_0, FORM_FULL } from './register-fallback';
import type { ServerUri } from './server-uri';

export const REGISTER_FORMS_VERSION = 1;
/** Servers remembered at most (the oldest remembered goes first). */
export const MAX_REMEMBERED = 8;
/** Longest server URI stored (a longer one is not remembered). */
const MAX_URI_BYTES = 255;

export interface RememberedForm {
  ssid: number;
  uri: string;
  form: number;
}

export const uriKey = (u: ServerUri): string => `${u.scheme}://${u.host.includes(':') ? `[${u.host}]` : u.host}:${u.port}`;

/** version, count, then per entry: ssid (u16), form (u8), URI length (u8), URI (UTF-8). */
export function encodeRegisterForms(entries: readonly RememberedForm[]): Uint8Array {
  const uris = entries.map((e) => utf8Encode(e.uri));
  const b = new Uint8Array(2 + uris.reduce((n, u) => n + 4 + u.length, 0));
  const dv = new DataView(b.buffer);
  b[0] = REGISTER_FORMS_VERSION;
  b[1] = entries.length;
  let o = 2;
  entries.forEach((e, i) => {
    dv.setUint16(o, e.ssid);
    o += 2;
    b[o++] = e.form;
    b[o++] = uris[i]!.length;
    b.set(uris[i]!, o);
    o += uris[i]!.length;
  });
  return b;
}

/** The entries of a record, or undefined when it is damaged or of another version. */
export function decodeRegisterForms(b: Uint8Array): RememberedForm[] | undefined {
  if (b.length < 2 || b[0] !== REGISTER_FORMS_VERSION || b[1]! > MAX_REMEMBERED) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: RememberedForm[] = [];
  let o = 2;
  for (let i = 0; i < b[1]!; i++) {
    if (o + 4 > b.length) return undefined;
    const ssid = dv.getUint16(o);
    o += 2;
    const form = b[o++]!;
    const len = b[o++]!;
    if (form > FORM_1_0 || o + len > b.length) return undefined;
    out.push({ ssid, form, uri: utf8Decode(b.subarray(o, o + len)) });
    o += len;
  }
  return o === b.length ? out : undefined;
}

export class RegisterForms {
  private entries: RememberedForm[] = [];

  constructor(
    private readonly persistence: ConfigPersistence | undefined,
    private readonly log: Logger,
  ) {}

  /** At start: what was stored (nothing, when the record is damaged). */
  load(): void {
    const record = this.persistence?.loadRegisterForms?.();
    this.entries = [];
    if (!record) return;
    const entries = decodeRegisterForms(record);
    if (!entries) {
      this.log.error('store: remembered Register forms damaged; every server starts from the full form');
      return;
    }
    this.entries = entries;
  }

  /** The form to start with for this server: the one it took last, else the full one. */
  formFor(ssid: number, uri: ServerUri): number {
    const key = uriKey(uri);
    return this.entries.find((e) => e.ssid === ssid && e.uri === key)?.form ?? FORM_FULL;
  }

  /** The server took `form`: remembered (and stored) when it is not the full form, forgotten when it is. */
  accepted(ssid: number, uri: ServerUri, form: number): void {
    const key = uriKey(uri);
    const rest = this.entries.filter((e) => !(e.ssid === ssid && e.uri === key));
    const had = rest.length !== this.entries.length;
    if (form === FORM_FULL) {
      if (!had) return;
      this.entries = rest;
    } else {
      if (this.formFor(ssid, uri) === form) return;
      if (utf8Encode(key).length > MAX_URI_BYTES) return;
      this.entries = [...rest, { ssid, uri: key, form }].slice(-MAX_REMEMBERED);
    }
    this.save();
  }

  /** Forget servers the configuration no longer has (after a bootstrap). */
  retain(servers: ReadonlyArray<{ ssid: number; uri: ServerUri }>): void {
    const keep = this.entries.filter((e) => servers.some((s) => s.ssid === e.ssid && uriKey(s.uri) === e.uri));
    if (keep.length === this.entries.length) return;
    this.entries = keep;
    this.save();
  }

  private save(): void {
    const save = this.persistence?.saveRegisterForms;
    if (!save) return;
    if (!save(this.entries.length ? encodeRegisterForms(this.entries) : null)) {
      this.log.warn('client: the Register forms servers took could not be stored; they are found again after a restart');
    }
  }
}
