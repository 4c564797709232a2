// The console's API over the Bootstrap-Server: its sessions, and its
// configuration per endpoint with what a sequence would write. PSK keys never
// leave this process: identities are shown, keys are not.
import { accountRecords, type BootstrapServer, type EndpointConfig } from '../bootstrap-server';
import { BootstrapSessions } from './bootstrap-sessions';
import type { EventStream } from './event-stream';
import { ApiError, type Json } from './http';
import type { EndpointConfigJson } from './api-types';
import { recordsJson } from './results';
import { checkPath } from './typed-values';
import { writeValue } from '../bootstrap-config';

/** Security (/0) resources that hold secrets: Secret Key (5), SMS Binding Secret Key(s) (8). */
const SECRET = (path: string) => /^\/0\/\d+\/(5|8)(\/|$)/.test(path);
const HIDDEN = '(hidden)';

/** The endpoint's configuration without key material. */
export function redact(cfg: EndpointConfig): EndpointConfig {
  return {
    ...cfg,
    servers: cfg.servers.map(({ pskKeyHex: _key, ...s }) => s),
    ...(cfg.psk ? { psk: { identity: cfg.psk.identity } as EndpointConfig['psk'] } : {}),
    ...(cfg.writes ? { writes: cfg.writes.map((w) => (SECRET(w.path) ? { path: w.path, value: HIDDEN } : w)) } : {}),
  };
}

export class BootstrapApi {
  readonly sessions: BootstrapSessions;

  constructor(
    private readonly bs: BootstrapServer,
    stream: EventStream,
  ) {
    this.sessions = new BootstrapSessions(bs, stream);
  }

  async handle(method: string, parts: string[], body: () => Promise<Json>): Promise<unknown> {
    const [area, what, ep, ...more] = parts;
    if (area !== 'bootstrap' || more.length) return undefined;
    if (what === 'config' && ep !== undefined && method === 'PUT') return this.putEntry(ep, await body());
    if (what === 'config' && ep !== undefined && method === 'DELETE') return this.deleteEntry(ep);
    if (method !== 'GET') return undefined;
    if (what === 'sessions' && ep === undefined) return this.sessions.sessions;
    if (what === 'config' && ep === undefined) {
      const c = this.bs.config;
      return {
        format: c.format ?? 'tlv',
        discover: c.discover !== false,
        deleteFirst: c.deleteFirst !== false,
        endpoints: Object.fromEntries(Object.entries(c.endpoints).map(([name, e]) => [name, redact(e)])),
      };
    }
    if (what === 'config' && ep !== undefined) return this.endpointConfig(ep);
    return undefined;
  }

  /** What a sequence for `ep` would use: the entry that matches (its own or "*") and the resources it writes. */
  private endpointConfig(ep: string): EndpointConfigJson {
    const cfg = this.bs.configFor(ep);
    if (!cfg) throw new ApiError(404, `the Bootstrap-Server has no configuration for ${ep} (and no "*" entry)`);
    const writes = accountRecords(cfg).flatMap(([, records]) => recordsJson(records));
    for (const w of cfg.writes ?? []) {
      const p = checkPath(w.path);
      const v = writeValue(w.path, w.value);
      if (p.ok && v.ok) writes.push(...recordsJson([{ path: p.value, value: v.value }]));
    }
    for (const w of writes) if (SECRET(w.path)) w.value = HIDDEN;
    return {
      endpoint: ep,
      matched: this.bs.config.endpoints[ep] ? ep : '*',
      config: redact(cfg) as unknown as EndpointConfigJson['config'],
      writes,
    };
  }

  /**
   * Replaces (or adds) the entry for `ep`, checked with the whole configuration as at load. Keys
   * the console never showed are kept: an entry without psk.keyHex, a PSK server without
   * pskKeyHex, or a secret write whose value is "(hidden)" takes the one the entry had.
   */
  private putEntry(ep: string, b: Json): EndpointConfigJson {
    const entry = withKeptKeys(b as unknown as EndpointConfig, this.bs.config.endpoints[ep]);
    try {
      this.bs.configure({ ...this.bs.config, endpoints: { ...this.bs.config.endpoints, [ep]: entry } });
    } catch (e) {
      throw new ApiError(400, (e as Error).message.replace(/^bootstrap config: /, ''));
    }
    return this.endpointConfig(ep);
  }

  private deleteEntry(ep: string): { deleted: string } {
    if (!this.bs.config.endpoints[ep]) throw new ApiError(404, `the Bootstrap-Server has no entry for ${ep}`);
    const endpoints = { ...this.bs.config.endpoints };
    delete endpoints[ep];
    try {
      this.bs.configure({ ...this.bs.config, endpoints });
    } catch (e) {
      throw new ApiError(400, (e as Error).message.replace(/^bootstrap config: /, ''));
    }
    return { deleted: ep };
  }

  close(): void {
    this.sessions.close();
  }
}

const unset = (v: unknown) => v === undefined || v === HIDDEN;

/** The entry as given, with the keys of `old` wherever the console showed none (see putEntry). */
function withKeptKeys(entry: EndpointConfig, old: EndpointConfig | undefined): EndpointConfig {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return entry;
  const out: EndpointConfig = { ...entry };
  if (out.psk && typeof out.psk === 'object' && unset(out.psk.keyHex) && old?.psk && old.psk.identity === out.psk.identity)
    out.psk = { ...out.psk, keyHex: old.psk.keyHex };
  if (Array.isArray(out.servers)) {
    out.servers = out.servers.map((s) => {
      if (!s || typeof s !== 'object' || s.securityMode !== 'psk' || !unset(s.pskKeyHex)) return s;
      const was = old?.servers?.find((o) => o.ssid === s.ssid && o.pskIdentity === s.pskIdentity && o.pskKeyHex);
      return was ? { ...s, pskKeyHex: was.pskKeyHex } : s;
    });
  }
  if (Array.isArray(out.writes)) {
    out.writes = out.writes.map((w) =>
      w && SECRET(String(w.path)) && w.value === HIDDEN ? (old?.writes?.find((o) => o.path === w.path) ?? w) : w,
    );
  }
  return out;
}
