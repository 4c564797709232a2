// A LwM2M Bootstrap-Server for provisioning devices from a laptop (Node
// only). Client-initiated (answers POST /bs?ep=) and server-initiated
// (provision()) modes; by default Delete "/" → Write /0 and /1 → Discover
// → Finish; on 4.06 it deletes and starts once more, then reports failure.
import type { EndpointOptions, IncomingRequest, Peer, ResponseSpec } from '../firmware/coap/api';
import { CoapEndpoint } from '../firmware/coap/endpoint';
import { Code, codeString } from '../firmware/coap/message';
import { ContentFormat, formatByWord, type ContentFormats, type ResourceRecord } from '../firmware/formats';
import { createNodeFormats } from '../firmware/platform/node/formats';
import type { Path, Value } from '../firmware/model/types';
import {
  bootstrapAccountRecords,
  serverAccountRecords,
  type BootstrapAccountSpec,
  type ServerAccountSpec,
} from '../firmware/lwm2m/bootstrap/account-records';
import { OBJ } from '../firmware/lwm2m/engine/ids';
import { parsePath } from '../firmware/model/path';
import { hostResolveType as resolveType } from './models';
import type { DatagramTransport, Logger, Random, Timers } from '../firmware/platform/ports';
import { fromHex } from '../firmware/util/hex';
import { utf8Decode, utf8Encode } from '../firmware/util/utf8';
import { parseQuery, segments, type CoapsOptions } from './lwm2m-server';
import { DtlsTransport } from '../firmware/dtls/transport';
import { identifyingDtls } from '../firmware/dtls/mux';
import { identityText, type PskJson } from './psk-store';
import { configProblems, writeValue } from './bootstrap-config';
import { tellObservers } from './observers';

/** A server account as the JSON configuration names it (credentials as text). */
export interface ServerAccountConfig extends Omit<ServerAccountSpec, 'psk'> {
  /** 'nosec' (default) or 'psk'; PSK keys are written but never logged. */
  securityMode?: 'nosec' | 'psk';
  pskIdentity?: string;
  pskKeyHex?: string;
}

export interface EndpointConfig {
  servers: ServerAccountConfig[];
  /**
   * The endpoint's PSK at this Bootstrap-Server: it must then bootstrap over
   * coaps with this identity; a rewritten coaps Bootstrap-Server Account gets it too.
   */
  psk?: PskJson;
  /** Rewrite the Bootstrap-Server Account at /0/0 (optional; a coaps URI takes `psk`). */
  bootstrap?: Omit<BootstrapAccountSpec, 'psk'>;
  /** Extra resource writes after the accounts: { path: '/3/0/14', value: '+01:00' } (Opaque as hex, an Object Link as "3:0"). */
  writes?: Array<{ path: string; value: Value }>;
}

export interface BootstrapConfig {
  /** Payload format of the object-level writes. */
  format?: 'tlv' | 'senml-json' | 'senml-cbor';
  /** Bootstrap-Discover "/" after the writes (default true). */
  discover?: boolean;
  /** Delete "/" first (default true). */
  deleteFirst?: boolean;
  /** Per endpoint name; "*" applies to any other endpoint. */
  endpoints: Record<string, EndpointConfig>;
}

export type BootstrapEvent =
  /** A Bootstrap-Request that opened a sequence; `code` is our answer to it (2.04). */
  | { type: 'request'; endpoint: string; peer: Peer; code?: string }
  /** One request of the sequence and the client's answer; `reason` is the text of an error answer,
   *  `peer` where it went, `contentFormat` that of the payload sent. */
  | {
      type: 'step';
      endpoint: string;
      operation: string;
      path: string;
      code: string;
      detail?: string;
      reason?: string;
      peer?: Peer;
      contentFormat?: number;
    }
  | { type: 'finished'; endpoint: string; ok: boolean; diagnostic?: string };

export interface BootstrapServerOptions {
  transport: DatagramTransport;
  /** Serve Bootstrap-Requests over coaps too, with the keys of the configuration's `psk` entries. */
  coaps?: CoapsOptions;
  timers: Timers;
  random: Random;
  log: Logger;
  config: BootstrapConfig;
  onEvent?: (e: BootstrapEvent) => void;
  /** Bound on concurrent bootstrap sequences. */
  maxSessions?: number;
  /** Every CoAP datagram in and out of both ports (after DTLS), for --log debug (coap-trace.ts). */
  trace?: EndpointOptions['trace'];
  /** The content formats (default: Node's codecs and the host's definitions). */
  formats?: ContentFormats;
  /** Told after configure() replaced the configuration (the CLI writes --config again). */
  onConfigured?: (config: BootstrapConfig) => void;
}

export class BootstrapServer {
  readonly endpoint: CoapEndpoint;
  /** The coaps endpoint and its DTLS transport, when `coaps` was given. */
  readonly secureEndpoint: CoapEndpoint | undefined;
  readonly dtls: DtlsTransport | undefined;
  private active = new Set<string>();
  private current: BootstrapConfig;

  /** The content formats of the Writes (Node's codecs unless given), typing values with the host's definitions. */
  readonly formats: ContentFormats;

  constructor(private readonly o: BootstrapServerOptions) {
    this.formats = o.formats ?? createNodeFormats({ resolve: resolveType, log: o.log });
    validateConfig(o.config);
    this.current = o.config;
    this.endpoint = new CoapEndpoint({ transport: o.transport, timers: o.timers, random: o.random, log: o.log, trace: o.trace });
    this.endpoint.onRequest = (req) => this.bootstrapRequest(req, false);
    if (o.coaps) {
      this.dtls = new DtlsTransport({
        transport: o.coaps.transport,
        crypto: o.coaps.crypto,
        timers: o.timers,
        random: o.random,
        log: o.log,
        mtu: o.coaps.mtu,
        server: {
          pskKey: (identity) => pskKeyOf(this.current, identity),
          connectionId: o.coaps.connectionId,
          connectionIdLength: o.coaps.connectionIdLength,
          requireExtendedMasterSecret: o.coaps.requireExtendedMasterSecret,
        },
      });
      this.secureEndpoint = new CoapEndpoint({
        transport: identifyingDtls(this.dtls),
        timers: o.timers,
        random: o.random,
        log: o.log,
        trace: o.trace,
      });
      this.secureEndpoint.onRequest = (req) => this.bootstrapRequest(req, true);
    }
  }

  private bootstrapRequest(req: IncomingRequest, secure: boolean): ResponseSpec {
    const o = this.o;
    if (req.method !== Code.POST || req.path.length !== 1 || req.path[0] !== 'bs') return { code: Code.NOT_FOUND };
    const ep = parseQuery(req.query).get('ep');
    const cfg = ep ? this.configFor(ep) : undefined;
    if (!ep || !cfg) {
      o.log.warn(`bootstrap-server: Bootstrap-Request from unknown endpoint ${ep ?? '(none)'}`);
      return { code: Code.BAD_REQUEST };
    }
    const refused = refusal(cfg, req.peer, secure);
    if (refused) {
      o.log.warn(`bootstrap-server: Bootstrap-Request from ${ep} (${req.peer.address}:${req.peer.port}) refused: ${refused}`);
      return { code: Code.FORBIDDEN };
    }
    if (this.active.has(ep)) return { code: Code.CHANGED }; // a retransmitted or repeated request: one sequence
    if (this.active.size >= (o.maxSessions ?? 16)) return { code: Code.SERVICE_UNAVAILABLE };
    this.emit({ type: 'request', endpoint: ep, peer: req.peer, code: codeString(Code.CHANGED) });
    o.log.info(`bootstrap-server: Bootstrap-Request from ${ep} (${req.peer.address}:${req.peer.port}${secure ? ', coaps' : ''})`);
    // Start writing once our 2.04 is on its way.
    o.timers.setTimeout(() => {
      void this.provision(req.peer, ep, secure);
    }, 0);
    return { code: Code.CHANGED };
  }

  /** The configuration the next bootstrap sequence uses. */
  get config(): BootstrapConfig {
    return this.current;
  }

  /** Replaces the configuration (checked first; throws on a bad one) for the sequences that start from now on. */
  configure(config: BootstrapConfig): void {
    validateConfig(config);
    this.current = config;
    try {
      this.o.onConfigured?.(config);
    } catch (e) {
      this.o.log.error(`bootstrap-server: the new configuration was not saved: ${(e as Error).message}`);
    }
  }

  configFor(ep: string): EndpointConfig | undefined {
    return this.current.endpoints[ep] ?? this.current.endpoints['*'];
  }

  /**
   * Run a bootstrap sequence toward a client (server-initiated when called
   * directly); `secure`: over the client's DTLS session with the coaps port.
   */
  async provision(peer: Peer, ep: string, secure = false): Promise<boolean> {
    const cfg = this.configFor(ep);
    if (!cfg) throw new Error(`no bootstrap configuration for ${ep}`);
    const via = secure ? this.secureEndpoint : this.endpoint;
    if (!via) throw new Error('this Bootstrap-Server has no coaps port');
    // Keys go only to an endpoint DTLS authenticated (validateConfig makes such entries coaps-only; this holds whatever the caller does).
    if (!secure && carriesKeyMaterial(cfg)) {
      const diagnostic = 'its configuration carries key material, which goes only over coaps';
      this.o.log.error(`bootstrap-server: ${ep} not provisioned over plain coap: ${diagnostic}`);
      this.emit({ type: 'finished', endpoint: ep, ok: false, diagnostic });
      return false;
    }
    this.active.add(ep);
    try {
      for (let round = 1; round <= 2; round++) {
        const outcome = await this.sequence(via, peer, ep, cfg, round > 1 || this.current.deleteFirst !== false);
        if (outcome.ok) {
          this.emit({ type: 'finished', endpoint: ep, ok: true });
          return true;
        }
        if (!outcome.retry || round === 2) {
          this.emit({ type: 'finished', endpoint: ep, ok: false, diagnostic: outcome.diagnostic });
          this.o.log.error(`bootstrap-server: ${ep} failed: ${outcome.diagnostic}`);
          return false;
        }
        this.o.log.warn(`bootstrap-server: ${ep} rejected the configuration (${outcome.diagnostic}); deleting and starting again`);
      }
      return false;
    } finally {
      this.active.delete(ep);
    }
  }

  private async sequence(
    via: CoapEndpoint,
    peer: Peer,
    ep: string,
    cfg: EndpointConfig,
    deleteFirst: boolean,
  ): Promise<{ ok: true } | { ok: false; retry: boolean; diagnostic: string }> {
    const format = formatByWord(this.current.format ?? 'tlv')!.id;
    const step = async (
      operation: string,
      method: number,
      path: string,
      extra: { contentFormat?: number; payload?: Uint8Array; accept?: number } = {},
    ) => {
      const res = await via.request(peer, { method, path: segments(path), ...extra });
      const text = res.payload.length ? utf8Decode(res.payload) : undefined;
      this.emit({
        type: 'step',
        endpoint: ep,
        operation,
        path,
        code: codeString(res.code),
        detail: operation === 'Discover' ? text : undefined,
        reason: res.code >= Code.BAD_REQUEST ? text : undefined,
        peer,
        contentFormat: extra.contentFormat,
      });
      return { res, text };
    };
    try {
      if (deleteFirst) {
        const { res } = await step('Delete', Code.DELETE, '/');
        if (res.code !== Code.DELETED) return { ok: false, retry: false, diagnostic: `Delete / answered ${codeString(res.code)}` };
      }
      for (const [objectId, records] of accountRecords(cfg)) {
        const base: Path = { objectId };
        const enc = this.formats.encode(format, base, records);
        if (!enc.ok) return { ok: false, retry: false, diagnostic: `cannot encode /${objectId}: ${enc.reason}` };
        const { res, text } = await step('Write', Code.PUT, `/${objectId}`, { contentFormat: format, payload: enc.value });
        if (res.code !== Code.CHANGED)
          return { ok: false, retry: false, diagnostic: `Write /${objectId} answered ${codeString(res.code)} ${text ?? ''}`.trim() };
      }
      for (const w of cfg.writes ?? []) {
        const p = parsePath(w.path);
        if (!p || p.resourceId === undefined) return { ok: false, retry: false, diagnostic: `bad write path ${w.path}` };
        const typed = writeValue(w.path, w.value);
        if (!typed.ok) return { ok: false, retry: false, diagnostic: `write ${w.path}: ${typed.reason}` };
        const enc = this.formats.encode(format, p, [{ path: p, value: typed.value }]);
        if (!enc.ok) return { ok: false, retry: false, diagnostic: `cannot encode ${w.path}: ${enc.reason}` };
        const { res } = await step('Write', Code.PUT, w.path, { contentFormat: format, payload: enc.value });
        if (res.code !== Code.CHANGED) return { ok: false, retry: false, diagnostic: `Write ${w.path} answered ${codeString(res.code)}` };
      }
      if (this.current.discover !== false) await step('Discover', Code.GET, '/', { accept: ContentFormat.LINK_FORMAT });
      const { res, text } = await step('Finish', Code.POST, '/bs');
      if (res.code === Code.CHANGED) return { ok: true };
      return {
        ok: false,
        retry: res.code === Code.NOT_ACCEPTABLE,
        diagnostic: `Finish answered ${codeString(res.code)}${text ? ': ' + text : ''}`,
      };
    } catch (e) {
      return { ok: false, retry: false, diagnostic: (e as Error).message };
    }
  }

  /** Extra event listeners (the web console records sessions through one). */
  readonly listeners = new Set<(e: BootstrapEvent) => void>();

  private emit(e: BootstrapEvent): void {
    tellObservers(e, this.o.onEvent, this.listeners);
  }

  close(): void {
    this.endpoint.close();
    this.o.transport.close();
    this.secureEndpoint?.close();
    this.dtls?.close();
  }
}

/** Why an endpoint may not bootstrap over this link, or undefined. */
function refusal(cfg: EndpointConfig, peer: Peer, secure: boolean): string | undefined {
  if (!secure) {
    if (cfg.psk) return 'it has a PSK here and must bootstrap over coaps';
    return carriesKeyMaterial(cfg) ? 'its configuration carries key material, which goes only over coaps' : undefined;
  }
  const identity = identityText(peer.identity);
  if (cfg.psk && cfg.psk.identity === identity) return undefined;
  return `PSK identity ${JSON.stringify(identity ?? '')} is not this endpoint's`;
}

/** Security /0/x/5 (Secret Key): what a sequence must never write to an endpoint DTLS has not authenticated. */
const SECRET_KEY_PATH = /^\/0\/\d+\/5(\/|$)/;

/** A PSK server account, or an extra write of a Secret Key: the sequence would send key material. */
export function carriesKeyMaterial(cfg: EndpointConfig): boolean {
  return (
    cfg.servers.some((s) => s.securityMode === 'psk') ||
    (cfg.writes ?? []).some((w) => SECRET_KEY_PATH.test(w.path)) ||
    cfg.bootstrap?.uri.startsWith('coaps:') === true
  );
}

/** The key of a PSK identity in the configuration (validateConfig keeps an identity to one key). */
function pskKeyOf(c: BootstrapConfig, identity: Uint8Array): Uint8Array | null {
  const id = utf8Decode(identity);
  for (const e of Object.values(c.endpoints)) if (e.psk && e.psk.identity === id) return fromHex(e.psk.keyHex);
  return null;
}

/** The Security (/0) and Server (/1) instances for an endpoint, as records per object. */
export function accountRecords(cfg: EndpointConfig): Array<[number, ResourceRecord[]]> {
  const bsPsk =
    cfg.bootstrap?.uri.startsWith('coaps:') && cfg.psk
      ? { identity: utf8Encode(cfg.psk.identity), key: fromHex(cfg.psk.keyHex) }
      : undefined;
  const sec: ResourceRecord[] = cfg.bootstrap ? bootstrapAccountRecords(0, { ...cfg.bootstrap, psk: bsPsk }) : [];
  const srv: ResourceRecord[] = [];
  cfg.servers.forEach((s, n) => {
    // Security instance 0 is left to the Bootstrap-Server Account.
    const psk = s.securityMode === 'psk' ? { identity: utf8Encode(s.pskIdentity ?? ''), key: fromHex(s.pskKeyHex ?? '') } : undefined;
    const r = serverAccountRecords(n + 1, n, { ...s, psk });
    sec.push(...r.security);
    srv.push(...r.server);
  });
  return [
    [OBJ.SECURITY, sec],
    [OBJ.SERVER, srv],
  ];
}

/** Throws with every problem of the configuration, one per line, each naming its field (never key material). */
export function validateConfig(c: BootstrapConfig): void {
  const problems = configProblems(c);
  if (problems.length === 1) throw new Error(`bootstrap config: ${problems[0]}`);
  if (problems.length > 1) throw new Error(`bootstrap config: ${problems.length} problems:\n  ${problems.join('\n  ')}`);
}
