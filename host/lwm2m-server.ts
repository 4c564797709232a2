// A small LwM2M Server for the laptop: Registration Interface (register,
// update, de-register) and the Device Management / Information Reporting
// operations to drive a device, and files served for Firmware Update pulls
// (the update sequence itself: firmware-update-job.ts). Node only.
import type {
  ClientObservation,
  CoapResponse,
  EndpointOptions,
  IncomingRequest,
  Peer,
  RequestOptions,
  ResponseSpec,
} from '../firmware/coap/api';
import { CoapEndpoint } from '../firmware/coap/endpoint';
import { Code, OptionNumber, codeString, methodName } from '../firmware/coap/message';
import { CoapTimeoutError } from '../firmware/coap/errors';
import { getBlock } from '../firmware/coap/options';
import { ContentFormat, encodeLinkFormat, parseLinkFormat, type ContentFormats, type Link, type ResourceRecord } from '../firmware/formats';
import { createNodeFormats } from '../firmware/platform/node/formats';
import { parsePath } from '../firmware/model/path';
import type { Path, Value } from '../firmware/model/types';
import type { DatagramTransport, Logger, Random, TimerHandle, Timers } from '../firmware/platform/ports';
import { modelResolver } from './models';
import { Presence } from './queue-presence';
import type { ObjectDef } from '../firmware/model/types';
import { utf8Decode, utf8Encode } from '../firmware/util/utf8';
import { toHex } from '../firmware/util/hex';
import { Encoder } from 'cbor-x';
import type { DtlsCrypto } from '../firmware/dtls/crypto';
import { DtlsTransport } from '../firmware/dtls/transport';
import { identifyingDtls } from '../firmware/dtls/mux';
import { PskStore, identityText } from './psk-store';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { RegistrationStore, SavedRegistration } from './registration-store';
import { tellObservers } from './observers';

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
  /** Registered in Queue Mode (`Q`, or a 1.0 binding with Q): requests wait until it is heard from (queue-presence.ts). */
  queueMode?: boolean;
}

/** The coaps side of a server: a second UDP socket, DTLS 1.2 with PSK in the server role. */
export interface CoapsOptions {
  /** The UDP socket of the coaps port (5684 by convention); closed with the server. */
  transport: DatagramTransport;
  crypto: DtlsCrypto;
  /** Largest datagram sent. */
  mtu?: number;
  /** Give clients a DTLS Connection ID (RFC 9146), default true; false opts out. */
  connectionId?: boolean;
  /** Bytes of that CID (default 6). */
  connectionIdLength?: number;
  /** Refuse DTLS clients that do not offer the extended master secret (RFC 7627; RFC 7925 §16 wants it). */
  requireExtendedMasterSecret?: boolean;
}

export type ServerEvent =
  /** `replaced`: the endpoint's previous registration, which this one ends (with its observations). */
  | { type: 'registered'; reg: ClientRegistration; replaced?: ClientRegistration }
  | { type: 'updated'; reg: ClientRegistration }
  | { type: 'deregistered'; reg: ClientRegistration; expired?: boolean }
  /** Send (POST /dp) from a registered client, decoded. */
  | { type: 'send'; reg: ClientRegistration; records: ResourceRecord[]; contentFormat: number }
  /** A queue-mode client woke (the server heard from it) or, its awake time past, is taken to sleep. */
  | { type: 'presence'; reg: ClientRegistration; awake: boolean }
  /** The operations waiting for a queue-mode client changed (presence.queued lists them). */
  | { type: 'queue'; reg: ClientRegistration };

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
  /**
   * Bound on each Device Management request, ms (the prompt's and the console's 5 s; Leshan's UI has
   * the same): a device that does not answer is reported then, not after CoAP's own 93 s. Default: none.
   */
  requestTimeoutMs?: number;
  /**
   * Queue Mode clients: awake `awakeMs` after the server last heard from them (default MAX_TRANSMIT_WAIT,
   * 93 s); up to `maxQueued` operations (default 16) wait for each, each at most `expiryMs` (default 10 min).
   */
  queueMode?: { awakeMs?: number; maxQueued?: number; expiryMs?: number };
  onEvent?: (e: ServerEvent) => void;
  /**
   * Where clients reach this server, for the URIs of files it serves (serveFile):
   * the address (--address; default: the local address of the route toward each
   * client) and the ports (default: those of the transports, when they say).
   */
  advertise?: { address?: string; port?: number; coapsPort?: number };
  /** Object definitions beyond the built-in ones (a vendor's, from --models DDF files): values are typed with them. */
  models?: ReadonlyMap<number, ObjectDef>;
  /** The content formats (default: Node's codecs, typing values with the built-in definitions and `models`). */
  formats?: ContentFormats;
  /** Every CoAP datagram in and out of both ports (after DTLS), for --log debug (coap-trace.ts). */
  trace?: EndpointOptions['trace'];
  /**
   * Keeps the registrations across a restart of the server (registration-store.ts): loaded at
   * construction (those whose lifetime has not run out), saved after each change. Registrations over
   * coaps are not kept: their DTLS session does not survive the restart, and the device registers again.
   */
  registrations?: RegistrationStore;
  /** Wall-clock ms for the stored registrations (default Date.now). */
  wallClock?: () => number;
}

/** Queue Mode: a client counts as awake MAX_TRANSMIT_WAIT after it was last heard from (as Leshan counts it). */
export const QUEUE_AWAKE_MS = 93_000;
/** Bound on the operations waiting for one sleeping client, and how long each may wait. */
export const QUEUE_MAX = 16;
export const QUEUE_EXPIRY_MS = 600_000;

/** A Package block is sent this many times at most (each time with CoAP's own retransmissions) before a push gives up. */
export const PACKAGE_BLOCK_ATTEMPTS = 8;
/** The first pause before a Package block is sent again; it doubles each time. */
const PACKAGE_RETRY_PAUSE_MS = 2_000;

/** Files served for Firmware Update pulls live under this Uri-Path segment: coap://host:port/fw/<name>. */
export const FILE_PATH = 'fw';

/** A registration ends this long after its lifetime without an Update. */
const EXPIRY_GRACE_MS = 10_000;

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
  /** Files served at /fw/<name> (for Package URI pulls). */
  private readonly files = new Map<string, Uint8Array>();

  /** The content formats, typing resources with the built-in definitions and `models`. */
  readonly formats: ContentFormats;

  /** Who is awake among the queue-mode clients, and what waits for the others. */
  readonly presence: Presence;

  constructor(private readonly o: LwM2MServerOptions) {
    this.formats = o.formats ?? createNodeFormats({ resolve: modelResolver(o.models), log: o.log });
    this.presence = new Presence({
      timers: o.timers,
      awakeMs: o.queueMode?.awakeMs ?? QUEUE_AWAKE_MS,
      maxQueued: o.queueMode?.maxQueued ?? QUEUE_MAX,
      expiryMs: o.queueMode?.expiryMs ?? QUEUE_EXPIRY_MS,
      changed: (ep, awake) => {
        const reg = this.clients.get(ep);
        if (!reg?.queueMode) return;
        this.o.log.info(`server: ${ep} ${awake ? 'awake' : 'asleep'}${awake ? '' : ` (${this.presence.queued(ep).length} queued)`}`);
        this.emit({ type: 'presence', reg, awake });
      },
      queueChanged: (ep) => {
        const reg = this.clients.get(ep);
        if (reg?.queueMode) this.emit({ type: 'queue', reg });
      },
    });
    this.psk = o.psk ?? new PskStore();
    this.endpoint = new CoapEndpoint({ transport: o.transport, timers: o.timers, random: o.random, log: o.log, trace: o.trace });
    this.endpoint.onRequest = (req) => this.handle(req, false);
    this.hearFrom(o.transport);
    if (o.coaps) {
      this.dtls = new DtlsTransport({
        transport: o.coaps.transport,
        crypto: o.coaps.crypto,
        timers: o.timers,
        random: o.random,
        log: o.log,
        mtu: o.coaps.mtu,
        // A registered client keeps its session: room for every client the server takes, and a few handshaking.
        maxSessions: (o.maxClients ?? DEFAULT_MAX_CLIENTS) + MAX_HANDSHAKES,
        maxHandshakes: MAX_HANDSHAKES,
        server: {
          pskKey: (identity) => this.psk.forIdentity(identity)?.key ?? null,
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
      this.secureEndpoint.onRequest = (req) => this.handle(req, true);
      this.hearFrom(o.coaps.transport);
    }
    this.restore();
  }

  /** Any datagram from a queue-mode client's address says it is awake (a notification, a response, a request). */
  private hearFrom(t: DatagramTransport): void {
    const inner = t.onReceive;
    t.onReceive = (data, address, port) => {
      for (const reg of this.clients.values()) {
        if (reg.queueMode && reg.peer.port === port && reg.peer.address === address) {
          this.presence.heard(reg.endpoint);
          break;
        }
      }
      inner?.(data, address, port);
    };
  }

  // ------------------------------------------------------------ kept registrations

  private wall(): number {
    return (this.o.wallClock ?? Date.now)();
  }

  /** The stored registrations whose lifetime has not run out, as if they had just been made or updated. */
  private restore(): void {
    const store = this.o.registrations;
    if (!store) return;
    const now = this.o.timers.now(),
      wall = this.wall();
    let kept = 0,
      expired = 0;
    for (const r of store.load()) {
      const left = r.lastUpdate + r.lifetime * 1000 + EXPIRY_GRACE_MS - wall;
      const links = parseLinkFormat(r.links);
      if (left <= 0 || !links || this.clients.has(r.endpoint) || this.byId.has(r.id)) {
        expired++;
        continue;
      }
      const reg: ClientRegistration = {
        endpoint: r.endpoint,
        id: r.id,
        peer: { address: r.address, port: r.port },
        lifetime: r.lifetime,
        binding: r.binding,
        lwm2mVersion: r.lwm2mVersion,
        links,
        registeredAt: now - (wall - r.registeredAt),
        lastUpdate: now - (wall - r.lastUpdate),
        updates: r.updates,
        secure: false,
      };
      this.clients.set(reg.endpoint, reg);
      this.byId.set(reg.id, reg);
      this.armExpiry(reg, left);
      const n = Number(r.id);
      if (Number.isInteger(n) && n >= this.nextId) this.nextId = n + 1;
      kept++;
    }
    if (kept || expired)
      this.o.log.info(
        `server: ${kept} registration${kept === 1 ? '' : 's'} restored from ${store.where}${expired ? ` (${expired} expired meanwhile)` : ''}`,
      );
    if (expired) this.persist();
  }

  /** Stores the registrations (plain coap only) after a change. */
  private persist(): void {
    const store = this.o.registrations;
    if (!store) return;
    const now = this.o.timers.now(),
      wall = this.wall();
    const all: SavedRegistration[] = [...this.clients.values()]
      .filter((r) => !r.secure)
      .map((r) => ({
        endpoint: r.endpoint,
        id: r.id,
        address: r.peer.address,
        port: r.peer.port,
        lifetime: r.lifetime,
        binding: r.binding,
        lwm2mVersion: r.lwm2mVersion,
        links: encodeLinkFormat(r.links),
        registeredAt: wall - (now - r.registeredAt),
        lastUpdate: wall - (now - r.lastUpdate),
        updates: r.updates,
      }));
    store.save(all);
  }

  private handle(req: IncomingRequest, secure: boolean): ResponseSpec {
    if (req.path[0] === FILE_PATH) return this.serve(req);
    if (req.path[0] === 'dp' && req.path.length === 1 && req.method === Code.POST)
      return this.dataPush(req.peer, secure, req.contentFormat, req.payload);
    if (req.path[0] !== 'rd') return { code: Code.NOT_FOUND };
    if (req.method === Code.POST && req.path.length === 1) return this.register(req.peer, secure, req.query, req.payload);
    const reg = this.byId.get(req.path[1]);
    if (!reg || req.path.length !== 2) return { code: Code.NOT_FOUND };
    // Update and De-register come over the registration's own security context.
    if (reg.secure !== secure || (secure && reg.peer.identity !== req.peer.identity)) {
      this.o.log.warn(
        `server: ${methodName(req.method)} /rd/${reg.id} (${reg.endpoint}) refused: not over its registration's ${reg.secure ? 'DTLS session' : 'coap:// link'}`,
      );
      return { code: Code.FORBIDDEN };
    }
    if (req.method === Code.POST) return this.update(reg, req.peer, req.query, req.payload);
    if (req.method === Code.DELETE) {
      this.remove(reg, false);
      return { code: Code.DELETED };
    }
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
      endpoint: ep,
      id: String(this.nextId++),
      peer,
      lifetime: Number(q.get('lt') ?? 86400),
      binding: q.get('b') ?? 'U',
      lwm2mVersion: q.get('lwm2m') ?? '1.0',
      links,
      registeredAt: now,
      lastUpdate: now,
      updates: 0,
      secure,
      ...(secure ? { pskIdentity: identityText(peer.identity) } : {}),
      // 1.1 says Queue Mode with a `Q` parameter; 1.0 inside the binding (b=UQ).
      queueMode: q.has('Q') || (q.get('b') ?? '').includes('Q'),
    };
    this.clients.set(ep, reg);
    this.byId.set(reg.id, reg);
    this.armExpiry(reg);
    this.o.log.info(
      `server: registered ${ep} (lt=${reg.lifetime}, lwm2m=${reg.lwm2mVersion}${secure ? `, coaps, PSK identity ${JSON.stringify(reg.pskIdentity)}` : ''}) at /rd/${reg.id}`,
    );
    this.persist();
    this.emit({ type: 'registered', reg, ...(old ? { replaced: old } : {}) });
    if (reg.queueMode) this.presence.heard(ep);
    else this.presence.forget(ep, 'no longer registers in Queue Mode');
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
    this.persist();
    this.emit({ type: 'updated', reg });
    if (reg.queueMode) this.presence.heard(reg.endpoint);
    return { code: Code.CHANGED };
  }

  // Send (Core §5.5.3): SenML from a registered client.
  private dataPush(peer: Peer, secure: boolean, format: number | undefined, payload: Uint8Array): ResponseSpec {
    const reg = [...this.clients.values()].find((r) => r.secure === secure && r.peer.port === peer.port && r.peer.address === peer.address);
    if (!reg) return { code: Code.NOT_FOUND };
    if (format === undefined || !this.formats.composite.has(format)) return { code: Code.UNSUPPORTED_CONTENT_FORMAT };
    const dec = this.formats.decode(format, payload, {});
    if (!dec.ok) return { code: Code.BAD_REQUEST, payload: utf8Encode(dec.reason) };
    this.emit({ type: 'send', reg, records: dec.value.records, contentFormat: format });
    return { code: Code.CHANGED };
  }

  // ------------------------------------------------------------ files for pulls

  /**
   * Serves `bytes` at /fw/<name> over coap and coaps (a GET answered in Block2
   * blocks of the size the fetcher asks for, 1024 bytes at most), and returns the URI by which `forEndpoint`
   * (a registered client) reaches it: coaps when it registered over coaps, and
   * the local address of the route toward it (or `advertise.address`). Without
   * an endpoint, the URI names `advertise.address`, else this host's loopback.
   * Anyone who can reach the server may fetch a served file.
   */
  async serveFile(name: string, bytes: Uint8Array, forEndpoint?: string): Promise<string> {
    const safe = fileName(name);
    this.files.set(safe, bytes);
    return this.fileUri(safe, forEndpoint);
  }

  /** Stops serving a file (true when it was served). */
  unserveFile(name: string): boolean {
    return this.files.delete(fileName(name));
  }

  /** The URI of a served file as `forEndpoint` reaches it (see serveFile). */
  async fileUri(name: string, forEndpoint?: string): Promise<string> {
    const reg = forEndpoint === undefined ? undefined : this.clients.get(forEndpoint);
    if (forEndpoint !== undefined && !reg) throw new Error(`${forEndpoint} is not registered`);
    const secure = reg?.secure ?? false;
    const port = secure
      ? (this.o.advertise?.coapsPort ?? transportPort(this.o.coaps?.transport))
      : (this.o.advertise?.port ?? transportPort(this.o.transport));
    if (port === undefined) throw new Error('the server does not know its own port (advertise.port)');
    let address = this.o.advertise?.address ?? boundAddress(secure ? this.o.coaps?.transport : this.o.transport);
    if (address === undefined) address = reg ? await localAddressToward(reg.peer.address) : '127.0.0.1';
    const host = isIPv6(address) ? `[${address}]` : address;
    return `${secure ? 'coaps' : 'coap'}://${host}:${port}/${FILE_PATH}/${encodeURIComponent(fileName(name))}`;
  }

  private serve(req: IncomingRequest): ResponseSpec {
    const f = req.path.length === 2 ? this.files.get(req.path[1]) : undefined;
    if (!f) return { code: Code.NOT_FOUND };
    if (req.method !== Code.GET) return { code: Code.METHOD_NOT_ALLOWED };
    if (req.accept !== undefined && req.accept !== ContentFormat.OPAQUE) return { code: Code.NOT_ACCEPTABLE };
    // No ETag: the block-wise layer answers blocks after the first from the body it kept, without the
    // first answer's options, and a fetcher that sees an ETag on block 0 only takes the file for changed
    // (libcoap abandons it: "Not all blocks have ETag option").
    return { code: Code.CONTENT, contentFormat: ContentFormat.OPAQUE, payload: f };
  }

  /** The registration ends `ms` from now (default: its lifetime and a grace period). */
  private armExpiry(reg: ClientRegistration, ms = reg.lifetime * 1000 + EXPIRY_GRACE_MS): void {
    const t = this.expiry.get(reg.id);
    if (t !== undefined) this.o.timers.clearTimeout(t);
    this.expiry.set(
      reg.id,
      this.o.timers.setTimeout(() => this.remove(reg, true), ms),
    );
  }

  private remove(reg: ClientRegistration, expired: boolean, replaced = false): void {
    const t = this.expiry.get(reg.id);
    if (t !== undefined) this.o.timers.clearTimeout(t);
    this.expiry.delete(reg.id);
    this.byId.delete(reg.id);
    if (this.clients.get(reg.endpoint) === reg) this.clients.delete(reg.endpoint);
    if (!replaced) this.persist();
    if (!replaced) {
      this.presence.forget(reg.endpoint, expired ? 'expired' : 'de-registered');
      this.o.log.info(`server: ${reg.endpoint} ${expired ? 'expired' : 'de-registered'}`);
      this.emit({ type: 'deregistered', reg, expired });
    }
  }

  /** Extra event listeners (the CLI shell prints Send data through one). */
  readonly listeners = new Set<(e: ServerEvent) => void>();

  private emit(e: ServerEvent): void {
    tellObservers(e, this.o.onEvent, this.listeners);
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

  /** The server's clock (ms), which registrations and the presence of queue-mode clients are on. */
  now(): number {
    return this.o.timers.now();
  }

  /** The server's timers, for what runs on its clock (a firmware-update job). */
  get timers(): Timers {
    return this.o.timers;
  }

  /** The bound on each DM request (LwM2MServerOptions.requestTimeoutMs), undefined for CoAP's own. */
  get requestTimeoutMs(): number | undefined {
    return this.o.requestTimeoutMs;
  }

  /** One DM request to a registered client, within requestTimeoutMs; a timeout names the device and the operation. */
  private async ask(ep: string, what: string, req: RequestOptions): Promise<CoapResponse> {
    const timeout = this.o.requestTimeoutMs;
    return this.whenAwake(ep, what, async () => {
      try {
        return await this.via(ep).request(this.target(ep), timeout !== undefined ? { ...req, timeout } : req);
      } catch (e) {
        throw this.unanswered(e, ep, what);
      }
    });
  }

  private async askObserve(
    ep: string,
    what: string,
    req: RequestOptions,
    onNotify: (res: CoapResponse) => void,
  ): Promise<ClientObservation> {
    const timeout = this.o.requestTimeoutMs;
    return this.whenAwake(ep, what, async () => {
      try {
        // The timeout rides along in the request, so a Cancel (GET Observe=1) is bounded too.
        return await this.via(ep).observe(this.target(ep), timeout !== undefined ? { ...req, timeout } : req, onNotify);
      } catch (e) {
        throw this.unanswered(e, ep, what);
      }
    });
  }

  /** A queue-mode client's operations wait until it is awake, and go one at a time (Transport §6.5); others go at once. */
  private whenAwake<T>(ep: string, what: string, op: () => Promise<T>): Promise<T> {
    return this.clients.get(ep)?.queueMode ? this.presence.run(ep, what, op) : op();
  }

  private unanswered(e: unknown, ep: string, what: string): unknown {
    if (!(e instanceof CoapTimeoutError)) return e;
    const t = this.o.requestTimeoutMs;
    return new CoapTimeoutError(`no answer from ${ep} to ${what} ${t !== undefined ? `within ${t / 1000} s` : `(${e.message})`}`);
  }

  // ---------------------------------------------------- DM operations

  /** Any request as given (payload bytes and options untouched): for what the typed operations would refuse to encode. */
  async request(ep: string, req: RequestOptions): Promise<OperationResult> {
    const res = await this.whenAwake(ep, `${req.method} /${(req.path ?? []).join('/')}`, () => this.via(ep).request(this.target(ep), req));
    return this.result(res, '/' + (req.path ?? []).join('/'));
  }

  async read(ep: string, path: string, accept: number = ContentFormat.TLV): Promise<OperationResult> {
    const res = await this.ask(ep, `Read ${path}`, { method: Code.GET, path: segments(path), accept });
    return this.result(res, path);
  }

  async discover(ep: string, path: string): Promise<OperationResult & { links?: Link[] }> {
    const res = await this.ask(ep, `Discover ${path}`, { method: Code.GET, path: segments(path), accept: ContentFormat.LINK_FORMAT });
    const text = utf8Decode(res.payload);
    return {
      code: codeString(res.code),
      contentFormat: res.contentFormat,
      text,
      links: res.code === Code.CONTENT ? parseLinkFormat(text) : undefined,
    };
  }

  /** Write one resource value, or records under an instance (PUT replace, or POST partial update). */
  async write(
    ep: string,
    path: string,
    value: Value | ResourceRecord[],
    opts: { format?: number; replace?: boolean } = {},
  ): Promise<OperationResult> {
    const p = mustPath(path);
    const format = opts.format ?? ContentFormat.TLV;
    const records: ResourceRecord[] = Array.isArray(value) ? value : [{ path: p, value }];
    const enc = this.formats.encode(format, p, records);
    if (!enc.ok) throw new Error(`cannot encode: ${enc.reason}`);
    const res = await this.ask(ep, `Write ${path}`, {
      method: opts.replace === false ? Code.POST : Code.PUT,
      path: segments(path),
      contentFormat: format,
      payload: enc.value,
    });
    return this.result(res, path);
  }

  /**
   * Firmware Update push: writes `image` to /5/0/0 one Block1 block at a time
   * (RFC 7959 §2.5), each block its own exchange. A block whose exchange times
   * out is sent again, after a pause that doubles, up to `attempts` times: the
   * client takes a block it already has without writing it twice, so a long push
   * over a lossy link survives a lost block instead of starting over. The client
   * may ask for smaller blocks (a smaller SZX in its 2.31); the push follows.
   */
  async writePackage(
    ep: string,
    image: Uint8Array,
    o: { szx?: number; attempts?: number; onProgress?: (sent: number) => void } = {},
  ): Promise<OperationResult> {
    let szx = Math.min(Math.max(o.szx ?? 6, 0), 6);
    const attempts = o.attempts ?? PACKAGE_BLOCK_ATTEMPTS;
    let offset = 0;
    for (;;) {
      const size = 16 << szx;
      const num = offset / size;
      const more = offset + size < image.length;
      let res: CoapResponse | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          res = await this.via(ep).request(this.target(ep), {
            method: Code.PUT,
            path: ['5', '0', '0'],
            contentFormat: ContentFormat.OPAQUE,
            payload: image.subarray(offset, offset + size),
            block1: { num, szx, more, size1: image.length },
          });
          break;
        } catch (e) {
          if (!(e instanceof CoapTimeoutError) || attempt >= attempts) throw e;
          this.o.log.warn(`${ep}: Package block ${num} unanswered; sending it again (${attempt + 1} of ${attempts})`);
          await new Promise<void>((r) => this.o.timers.setTimeout(r, PACKAGE_RETRY_PAUSE_MS << (attempt - 1)));
        }
      }
      if (res.code !== (more ? Code.CONTINUE : Code.CHANGED)) return this.result(res, '/5/0/0');
      offset += size;
      o.onProgress?.(Math.min(offset, image.length));
      if (!more) return this.result(res, '/5/0/0');
      // The client's Block1 in a 2.31 may name a smaller size for the rest (RFC 7959 §2.3); the offset reached is a multiple of any smaller size.
      const echoed = getBlock({ options: res.options } as never, OptionNumber.BLOCK1);
      if (echoed && echoed.szx < szx) szx = echoed.szx;
    }
  }

  async execute(ep: string, path: string, args = ''): Promise<OperationResult> {
    const res = await this.ask(ep, `Execute ${path}`, {
      method: Code.POST,
      path: segments(path),
      ...(args ? { payload: utf8Encode(args), contentFormat: ContentFormat.TEXT } : {}),
    });
    return this.result(res, path);
  }

  async create(
    ep: string,
    objectPath: string,
    records: ResourceRecord[],
    format: number = ContentFormat.TLV,
  ): Promise<OperationResult & { location?: string }> {
    const p = mustPath(objectPath);
    const enc = this.formats.encode(format, p, records);
    if (!enc.ok) throw new Error(`cannot encode: ${enc.reason}`);
    const res = await this.ask(ep, `Create ${objectPath}`, {
      method: Code.POST,
      path: segments(objectPath),
      contentFormat: format,
      payload: enc.value,
    });
    return { ...this.result(res, objectPath), location: res.locationPath.length ? '/' + res.locationPath.join('/') : undefined };
  }

  async delete(ep: string, path: string): Promise<OperationResult> {
    const res = await this.ask(ep, `Delete ${path}`, { method: Code.DELETE, path: segments(path) });
    return this.result(res, path);
  }

  /** Write-Attributes: PUT with the attributes as Uri-Query (pmin=10, gt=3.5, …). */
  async writeAttributes(ep: string, path: string, attrs: Record<string, number | string | null>): Promise<OperationResult> {
    const query = Object.entries(attrs).map(([k, v]) => (v === null ? k : `${k}=${v}`));
    const res = await this.ask(ep, `Write-Attributes ${path}`, { method: Code.PUT, path: segments(path), query });
    return this.result(res, path);
  }

  /** Observe; `cancel()` sends GET Observe=1, `cancel({ passive: true })` forgets it and RSTs the next notification. */
  async observe(
    ep: string,
    path: string,
    onNotify: (r: OperationResult) => void,
    accept: number = ContentFormat.TLV,
  ): Promise<{ first: OperationResult; cancel(opts?: { passive?: boolean }): Promise<void>; observation: ClientObservation | undefined }> {
    const obs = await this.askObserve(ep, `Observe ${path}`, { method: Code.GET, path: segments(path), accept }, (res) =>
      onNotify(this.result(res, path)),
    );
    return {
      first: this.result(obs.response, path),
      cancel: (opts) =>
        obs.cancel(opts).catch((e: unknown) => {
          throw this.unanswered(e, ep, `Cancel of the observation of ${path}`);
        }),
      observation: obs,
    };
  }

  /** Read-Composite: FETCH on the root with a SenML list of paths (Transport §6.4.6). */
  async readComposite(ep: string, paths: string[], format: number = ContentFormat.SENML_CBOR): Promise<OperationResult> {
    const res = await this.ask(ep, `Read-Composite ${paths.join(' ')}`, {
      method: Code.FETCH,
      path: [],
      contentFormat: format,
      accept: format,
      payload: pathList(paths, format),
    });
    return this.result(res, '/');
  }

  /** Write-Composite: iPATCH on the root with SenML records of several instances. */
  async writeComposite(ep: string, records: ResourceRecord[], format: number = ContentFormat.SENML_CBOR): Promise<OperationResult> {
    const enc = this.formats.encode(format, {}, records);
    if (!enc.ok) throw new Error(`cannot encode: ${enc.reason}`);
    const res = await this.ask(ep, 'Write-Composite', { method: Code.IPATCH, path: [], contentFormat: format, payload: enc.value });
    return this.result(res, '/');
  }

  /** Observe-Composite: FETCH Observe=0 with a list of paths; notifications carry all of them. */
  async observeComposite(
    ep: string,
    paths: string[],
    onNotify: (r: OperationResult) => void,
    format: number = ContentFormat.SENML_CBOR,
  ): Promise<{ first: OperationResult; cancel(opts?: { passive?: boolean }): Promise<void>; observation: ClientObservation | undefined }> {
    const obs = await this.askObserve(
      ep,
      `Observe-Composite ${paths.join(' ')}`,
      { method: Code.FETCH, path: [], contentFormat: format, accept: format, payload: pathList(paths, format) },
      (res) => onNotify(this.result(res, '/')),
    );
    return {
      first: this.result(obs.response, '/'),
      cancel: (opts) =>
        obs.cancel(opts).catch((e: unknown) => {
          throw this.unanswered(e, ep, 'Cancel of the composite observation');
        }),
      observation: obs,
    };
  }

  private result(res: CoapResponse, path: string): OperationResult {
    const out: OperationResult = { code: codeString(res.code), contentFormat: res.contentFormat, payload: res.payload };
    if (res.code >= 128 || res.contentFormat === ContentFormat.TEXT) out.text = utf8Decode(res.payload);
    if (res.code === Code.CONTENT && res.contentFormat !== undefined && res.contentFormat !== ContentFormat.LINK_FORMAT) {
      const p = parsePath(path);
      const dec = p ? this.formats.decode(res.contentFormat, res.payload, p) : undefined;
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

function fileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const safe = base.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? 'image.bin' : safe;
}

function transportPort(t: DatagramTransport | undefined): number | undefined {
  const p = (t as { port?: unknown } | undefined)?.port;
  return typeof p === 'number' && p > 0 ? p : undefined;
}

/** The address a transport is bound to, unless it is a wildcard. */
function boundAddress(t: DatagramTransport | undefined): string | undefined {
  const a = (t as { address?: unknown } | undefined)?.address;
  return typeof a === 'string' && a !== '' && a !== '0.0.0.0' && a !== '::' ? a : undefined;
}

/** The local address of the route toward `peer`: a connected UDP socket's own address (nothing is sent). */
export function localAddressToward(peer: string): Promise<string> {
  return new Promise((resolve) => {
    const v6 = isIPv6(peer);
    const s = createSocket(v6 ? 'udp6' : 'udp4');
    const fallback = v6 ? '::1' : '127.0.0.1';
    s.once('error', () => {
      try {
        s.close();
      } catch {
        /* closed */
      }
      resolve(fallback);
    });
    s.connect(9, peer, () => {
      let a = fallback;
      try {
        a = s.address().address;
      } catch {
        /* keep the fallback */
      }
      s.close();
      resolve(a);
    });
  });
}

export function parseQuery(query: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const q of query) {
    const i = q.indexOf('=');
    if (i < 0) m.set(q, '');
    else m.set(q.slice(0, i), q.slice(i + 1));
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

export function showValue(v: Value): string {
  if (v instanceof Uint8Array) return `0x${toHex(v)}`;
  if (v !== null && typeof v === 'object') return `${v.objectId}:${v.instanceId}`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}
