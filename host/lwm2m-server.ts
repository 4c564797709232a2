// A small LwM2M Server for the laptop: Registration Interface (register,
// update, de-register) and the Device Management / Information Reporting
// operations to drive a device. Node only.
import type { ClientObservation, CoapResponse, IncomingRequest, Peer, ResponseSpec } from '../firmware/coap/api';
import { CoapEndpoint } from '../firmware/coap/endpoint';
import { Code, codeString, methodName } from '../firmware/coap/message';
import { ContentFormat, decodePayload, encodePayload, parseLinkFormat, type Link, type ResourceRecord } from '../firmware/formats';
import { formatPath, parsePath } from '../firmware/model/path';
import type { Path, Value } from '../firmware/model/types';
import type { DatagramTransport, Logger, Random, TimerHandle, Timers } from '../firmware/platform/ports';
import { resolveType } from '../firmware/lwm2m/resolver';
import { utf8Decode, utf8Encode } from '../firmware/util/utf8';
import { Encoder } from 'cbor-x';
import type { DtlsCrypto } from '../firmware/dtls/crypto';
import { DtlsTransport } from '../firmware/dtls/transport';
import { identifyingDtls } from '../firmware/dtls/mux';
import { PskStore, identityText } from './psk-store';

export interface ClientRegistration {
  endpoint: string;
  id: string;
  peer: Peer;
  lifetime: number;
  binding: string;
  lwm2mVersion: string;
  links: Link[];
  registeredAt: number;
  lastUpdate: number;
  updates: number;
  /** Registered over coaps (DTLS with a PSK). */
  secure: boolean;
  /** The PSK identity of its DTLS session (never the key). */
  pskIdentity?: string;
}

/** The coaps side of a server: a second UDP socket, DTLS 1.2 with PSK in the server role. */
export interface CoapsOptions {
  /** The UDP socket of the coaps port (5684 by convention); closed with the server. */
  transport: DatagramTransport;
  crypto: DtlsCrypto;
  /** Largest datagram sent. */
  mtu?: number;
}

export type ServerEvent =
  | { type: 'registered'; reg: ClientRegistration }
  | { type: 'updated'; reg: ClientRegistration }
  | { type: 'deregistered'; reg: ClientRegistration; expired?: boolean }
  /** Send (POST /dp) from a registered client, decoded. */
  | { type: 'send'; reg: ClientRegistration; records: ResourceRecord[]; contentFormat: number };

export interface OperationResult {
  code: string;
  contentFormat?: number;
  records?: ResourceRecord[];
  text?: string;
  payload?: Uint8Array;
}

export interface LwM2MServerOptions {
  transport: DatagramTransport;
  /** Listen for coaps too; the keys come from `psk`. */
  coaps?: CoapsOptions;
  /** Endpoints with a PSK must register over coaps with its identity (default: an empty store). */
  psk?: PskStore;
  timers: Timers;
  random: Random;
  log: Logger;
  /** Bound on registered clients. */
  maxClients?: number;
  onEvent?: (e: ServerEvent) => void;
}

/** Bound on registered clients, by default. */
export const DEFAULT_MAX_CLIENTS = 64;
/** DTLS handshakes running at once on the coaps port. */
const MAX_HANDSHAKES = 16;

export class LwM2MServer {
  readonly endpoint: CoapEndpoint;
  /** The coaps endpoint and its DTLS transport (stats, sessions), when `coaps` was given. */
  readonly secureEndpoint: CoapEndpoint | undefined;
  readonly dtls: DtlsTransport | undefined;
  readonly psk: PskStore;
  readonly clients = new Map<string, ClientRegistration>();
  private byId = new Map<string, ClientRegistration>();
  private expiry = new Map<string, TimerHandle>();
  private nextId = 1;

  constructor(private readonly o: LwM2MServerOptions) {
    this.psk = o.psk ?? new PskStore();
    this.endpoint = new CoapEndpoint({ transport: o.transport, timers: o.timers, random: o.random, log: o.log });
    this.endpoint.onRequest = (req) => this.handle(req, false);
    if (o.coaps) {
      this.dtls = new DtlsTransport({
        transport: o.coaps.transport, crypto: o.coaps.crypto, timers: o.timers, random: o.random, log: o.log, mtu: o.coaps.mtu,
        // A registered client keeps its session: room for every client the server takes, and a few handshaking.
        maxSessions: (o.maxClients ?? DEFAULT_MAX_CLIENTS) + MAX_HANDSHAKES, maxHandshakes: MAX_HANDSHAKES,
        server: { pskKey: (identity) => this.psk.forIdentity(identity)?.key ?? null },
      });
      this.secureEndpoint = new CoapEndpoint({ transport: identifyingDtls(this.dtls), timers: o.timers, random: o.random, log: o.log });
      this.secureEndpoint.onRequest = (req) => this.handle(req, true);
    }
  }

  private handle(req: IncomingRequest, secure: boolean): ResponseSpec {
    if (req.path[0] === 'dp' && req.path.length === 1 && req.method === Code.POST) return this.dataPush(req.peer, secure, req.contentFormat, req.payload);
    if (req.path[0] !== 'rd') return { code: Code.NOT_FOUND };
    if (req.method === Code.POST && req.path.length === 1) return this.register(req.peer, secure, req.query, req.payload);
    const reg = this.byId.get(req.path[1]);
    if (!reg || req.path.length !== 2) return { code: Code.NOT_FOUND };
    // Update and De-register come over the registration's own security context.
    if (reg.secure !== secure || (secure && reg.peer.identity !== req.peer.identity)) {
      this.o.log.warn(`server: ${methodName(req.method)} /rd/${reg.id} (${reg.endpoint}) refused: not over its registration's ${reg.secure ? 'DTLS session' : 'coap:// link'}`);
      return { code: Code.FORBIDDEN };
    }
    if (req.method === Code.POST) return this.update(reg, req.peer, req.query, req.payload);
    if (req.method === Code.DELETE) { this.remove(reg, false); return { code: Code.DELETED }; }
    return { code: Code.METHOD_NOT_ALLOWED };
  }

  /** Why this endpoint may not register over this link (a PSK it must use, or an identity of someone else), or undefined. */
  private refusal(ep: string, peer: Peer, secure: boolean): string | undefined {
    if (!secure) return this.psk.forEndpoint(ep) ? 'it has a PSK here and must register over coaps' : undefined;
    const owner = this.psk.forTag(peer.identity);
    if (owner?.endpoint === ep) return undefined;
    return `PSK identity ${JSON.stringify(identityText(peer.identity) ?? '')} is not ${ep}'s`;
  }

  private register(peer: Peer, secure: boolean, query: string[], payload: Uint8Array): ResponseSpec {
    const q = parseQuery(query);
    const ep = q.get('ep');
    if (!ep) return { code: Code.BAD_REQUEST, payload: utf8Encode('ep missing') };
    const refused = this.refusal(ep, peer, secure);
    if (refused) {
      this.o.log.warn(`server: registration of ${ep} from ${peer.address}:${peer.port} refused: ${refused}`);
      return { code: Code.FORBIDDEN };
    }
    const links = parseLinkFormat(utf8Decode(payload));
    if (!links) return { code: Code.BAD_REQUEST, payload: utf8Encode('bad link-format') };
    const old = this.clients.get(ep);
    if (old) this.remove(old, false, true);
    if (this.clients.size >= (this.o.maxClients ?? DEFAULT_MAX_CLIENTS)) return { code: Code.SERVICE_UNAVAILABLE };
    const now = this.o.timers.now();
    const reg: ClientRegistration = {
      endpoint: ep, id: String(this.nextId++), peer, lifetime: Number(q.get('lt') ?? 86400),
      binding: q.get('b') ?? 'U', lwm2mVersion: q.get('lwm2m') ?? '1.0', links,
      registeredAt: now, lastUpdate: now, updates: 0, secure,
      ...(secure ? { pskIdentity: identityText(peer.identity) } : {}),
    };
    this.clients.set(ep, reg);
    this.byId.set(reg.id, reg);
    this.armExpiry(reg);
    this.o.log.info(`server: registered ${ep} (lt=${reg.lifetime}, lwm2m=${reg.lwm2mVersion}${secure ? `, coaps, PSK identity ${JSON.stringify(reg.pskIdentity)}` : ''}) at /rd/${reg.id}`);
    this.emit({ type: 'registered', reg });
    return { code: Code.CREATED, locationPath: ['rd', reg.id] };
  }

  private update(reg: ClientRegistration, peer: Peer, query: string[], payload: Uint8Array): ResponseSpec {
    const q = parseQuery(query);
    if (q.has('lt')) reg.lifetime = Number(q.get('lt'));
    if (q.has('b')) reg.binding = q.get('b')!;
    if (payload.length > 0) {
      const links = parseLinkFormat(utf8Decode(payload));
      if (!links) return { code: Code.BAD_REQUEST };
      reg.links = links;
    }
    reg.peer = peer;
    reg.lastUpdate = this.o.timers.now();
    reg.updates++;
    this.armExpiry(reg);
    this.emit({ type: 'updated', reg });
    return { code: Code.CHANGED };
  }

  // Send (Core §5.5.3): SenML from a registered client.
  private dataPush(peer: Peer, secure: boolean, format: number | undefined, payload: Uint8Array): ResponseSpec {
    const reg = [...this.clients.values()].find((r) => r.secure === secure && r.peer.port === peer.port && r.peer.address === peer.address);
    if (!reg) return { code: Code.NOT_FOUND };
    if (format !== ContentFormat.SENML_CBOR && format !== ContentFormat.SENML_JSON) return { code: Code.UNSUPPORTED_CONTENT_FORMAT };
    const dec = decodePayload(format, payload, {}, resolveType);
    if (!dec.ok) return { code: Code.BAD_REQUEST, payload: utf8Encode(dec.reason) };
    this.emit({ type: 'send', reg, records: dec.value.records, contentFormat: format });
    return { code: Code.CHANGED };
  }

  private armExpiry(reg: ClientRegistration): void {
    const t = this.expiry.get(reg.id);
    if (t !== undefined) this.o.timers.clearTimeout(t);
    this.expiry.set(reg.id, this.o.timers.setTimeout(() => this.remove(reg, true), reg.lifetime * 1000 + 10_000));
  }

  private remove(reg: ClientRegistration, expired: boolean, replaced = false): void {
    const t = this.expiry.get(reg.id);
    if (t !== undefined) this.o.timers.clearTimeout(t);
    this.expiry.delete(reg.id);
    this.byId.delete(reg.id);
    if (this.clients.get(reg.endpoint) === reg) this.clients.delete(reg.endpoint);
    if (!replaced) {
      this.o.log.info(`server: ${reg.endpoint} ${expired ? 'expired' : 'de-registered'}`);
      this.emit({ type: 'deregistered', reg, expired });
    }
  }

  /** Extra event listeners (the CLI shell prints Send data through one). */
  readonly listeners = new Set<(e: ServerEvent) => void>();

  private emit(e: ServerEvent): void {
    try { this.o.onEvent?.(e); } catch { /* observer bug */ }
    for (const l of this.listeners) { try { l(e); } catch { /* observer bug */ } }
  }

  private target(ep: string): Peer {
    const reg = this.clients.get(ep);
    if (!reg) throw new Error(`${ep} is not registered`);
    return reg.peer;
  }

  /** The endpoint a client registered through: plain or coaps. */
  private via(ep: string): CoapEndpoint {
    return this.clients.get(ep)?.secure ? this.secureEndpoint! : this.endpoint;
  }

  // ---------------------------------------------------- DM operations

  async read(ep: string, path: string, accept: number = ContentFormat.TLV): Promise<OperationResult> {
    const res = await this.via(ep).request(this.target(ep), { method: Code.GET, path: segments(path), accept });
    return this.result(res, path);
  }

  async discover(ep: string, path: string): Promise<OperationResult & { links?: Link[] }> {
    const res = await this.via(ep).request(this.target(ep), { method: Code.GET, path: segments(path), accept: ContentFormat.LINK_FORMAT });
    const text = utf8Decode(res.payload);
    return { code: codeString(res.code), contentFormat: res.contentFormat, text, links: res.code === Code.CONTENT ? parseLinkFormat(text) : undefined };
  }

  /** Write one resource value, or records under an instance (PUT replace, or POST partial update). */
  async write(ep: string, path: string, value: Value | ResourceRecord[], opts: { format?: number; replace?: boolean } = {}): Promise<OperationResult> {
    const p = mustPath(path);
    const format = opts.format ?? ContentFormat.TLV;
    const records: ResourceRecord[] = Array.isArray(value) ? value : [{ path: p, value }];
    const enc = encodePayload(format, p, records, resolveType);
    if (!enc.ok) throw new Error(`cannot encode: ${enc.reason}`);
    const res = await this.via(ep).request(this.target(ep), {
      method: opts.replace === false ? Code.POST : Code.PUT, path: segments(path), contentFormat: format, payload: enc.value,
    });
    return this.result(res, path);
  }

  async execute(ep: string, path: string, args = ''): Promise<OperationResult> {
    const res = await this.via(ep).request(this.target(ep), { method: Code.POST, path: segments(path), ...(args ? { payload: utf8Encode(args), contentFormat: ContentFormat.TEXT } : {}) });
    return this.result(res, path);
  }

  async create(ep: string, objectPath: string, records: ResourceRecord[], format: number = ContentFormat.TLV): Promise<OperationResult & { location?: string }> {
    const p = mustPath(objectPath);
    const enc = encodePayload(format, p, records, resolveType);
    if (!enc.ok) throw new Error(`cannot encode: ${enc.reason}`);
    const res = await this.via(ep).request(this.target(ep), { method: Code.POST, path: segments(objectPath), contentFormat: format, payload: enc.value });
    return { ...this.result(res, objectPath), location: res.locationPath.length ? '/' + res.locationPath.join('/') : undefined };
  }

  async delete(ep: string, path: string): Promise<OperationResult> {
    const res = await this.via(ep).request(this.target(ep), { method: Code.DELETE, path: segments(path) });
    return this.result(res, path);
  }

  /** Write-Attributes: PUT with the attributes as Uri-Query (pmin=10, gt=3.5, …). */
  async writeAttributes(ep: string, path: string, attrs: Record<string, number | string | null>): Promise<OperationResult> {
    const query = Object.entries(attrs).map(([k, v]) => (v === null ? k : `${k}=${v}`));
    const res = await this.via(ep).request(this.target(ep), { method: Code.PUT, path: segments(path), query });
    return this.result(res, path);
  }

  /** Observe; `cancel()` sends GET Observe=1, `cancel({ passive: true })` forgets it and RSTs the next notification. */
  async observe(ep: string, path: string, onNotify: (r: OperationResult) => void, accept: number = ContentFormat.TLV):
    Promise<{ first: OperationResult; cancel(opts?: { passive?: boolean }): Promise<void>; observation: ClientObservation | undefined }> {
    const obs = await this.via(ep).observe(this.target(ep), { method: Code.GET, path: segments(path), accept }, (res) => onNotify(this.result(res, path)));
    return { first: this.result(obs.response, path), cancel: (opts) => obs.cancel(opts), observation: obs };
  }

  /** Read-Composite: FETCH on the root with a SenML list of paths (Transport §6.4.6). */
  async readComposite(ep: string, paths: string[], format: number = ContentFormat.SENML_CBOR): Promise<OperationResult> {
    const res = await this.via(ep).request(this.target(ep), { method: Code.FETCH, path: [], contentFormat: format, accept: format, payload: pathList(paths, format) });
    return this.result(res, '/');
  }

  /** Write-Composite: iPATCH on the root with SenML records of several instances. */
  async writeComposite(ep: string, records: ResourceRecord[], format: number = ContentFormat.SENML_CBOR): Promise<OperationResult> {
    const enc = encodePayload(format, {}, records, resolveType);
    if (!enc.ok) throw new Error(`cannot encode: ${enc.reason}`);
    const res = await this.via(ep).request(this.target(ep), { method: Code.IPATCH, path: [], contentFormat: format, payload: enc.value });
    return this.result(res, '/');
  }

  /** Observe-Composite: FETCH Observe=0 with a list of paths; notifications carry all of them. */
  async observeComposite(ep: string, paths: string[], onNotify: (r: OperationResult) => void, format: number = ContentFormat.SENML_CBOR):
    Promise<{ first: OperationResult; cancel(opts?: { passive?: boolean }): Promise<void>; observation: ClientObservation | undefined }> {
    const obs = await this.via(ep).observe(this.target(ep), { method: Code.FETCH, path: [], contentFormat: format, accept: format, payload: pathList(paths, format) },
      (res) => onNotify(this.result(res, '/')));
    return { first: this.result(obs.response, '/'), cancel: (opts) => obs.cancel(opts), observation: obs };
  }

  private result(res: CoapResponse, path: string): OperationResult {
    const out: OperationResult = { code: codeString(res.code), contentFormat: res.contentFormat, payload: res.payload };
    if (res.code >= 128 || res.contentFormat === ContentFormat.TEXT) out.text = utf8Decode(res.payload);
    if (res.code === Code.CONTENT && res.contentFormat !== undefined && res.contentFormat !== ContentFormat.LINK_FORMAT) {
      const p = parsePath(path);
      const dec = p ? decodePayload(res.contentFormat, res.payload, p, resolveType) : undefined;
      if (dec?.ok) out.records = dec.value.records;
    }
    return out;
  }

  close(): void {
    for (const t of this.expiry.values()) this.o.timers.clearTimeout(t);
    this.expiry.clear();
    this.endpoint.close();
    this.o.transport.close();
    this.secureEndpoint?.close();
    this.dtls?.close();
  }
}

export function parseQuery(query: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const q of query) {
    const i = q.indexOf('=');
    if (i < 0) m.set(q, ''); else m.set(q.slice(0, i), q.slice(i + 1));
  }
  return m;
}

/** SenML list of names for composite requests: [{"n":"/3/0/0"},…]. */
export function pathList(paths: string[], format: number): Uint8Array {
  if (format === ContentFormat.SENML_JSON) return utf8Encode(JSON.stringify(paths.map((n) => ({ n }))));
  return cborEncoder.encode(paths.map((n) => new Map([[0, n]])));
}
const cborEncoder = new Encoder({ useRecords: false, mapsAsObjects: false } as never);

export function segments(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function mustPath(path: string): Path {
  const p = parsePath(path);
  if (!p) throw new Error(`bad path ${path}`);
  return p;
}

/** One line per record, for logs and the CLI. */
export function formatRecords(records: ResourceRecord[] | undefined): string {
  if (!records) return '';
  return records.map((r) => {
    return `${formatPath(r.path)} = ${showValue(r.value)}`;
  }).join('\n');
}

export function showValue(v: Value): string {
  if (v instanceof Uint8Array) return `0x${[...v].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  if (v !== null && typeof v === 'object') return `${v.objectId}:${v.instanceId}`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}
