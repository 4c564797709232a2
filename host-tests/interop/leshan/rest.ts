// REST clients for the Leshan demo server (leshan-server-demo 2.0.0-M4, servlets
// ClientServlet / EventServlet / ServerServlet) and for our bootstrap-server launcher
// (same shape as the Leshan bsserver demo's BootstrapServlet).
//
// Demo server REST API (ClientServlet, paths under /api/clients):
//   GET    /                          registrations
//   GET    /{ep}                      one registration
//   GET    /{ep}/{path}?format=F      Read (F: TLV, SENML_CBOR, SENML_JSON, JSON, TEXT, OPAQUE, CBOR)
//   GET    /{ep}/{path}/discover      Discover
//   PUT    /{ep}/{path}?format=F[&replace=false]   Write (JSON node body, or text/plain for one resource)
//   PUT    /{ep}/{path}/attributes?pmin=..&pmax=.. Write-Attributes (query string passed through)
//   POST   /{ep}/{o}/{i}/{r}          Execute (body = arguments)
//   POST   /{ep}/{o}[/{i}]?format=F   Create
//   POST   /{ep}/{path}/observe?format=F   Observe (first value in the answer)
//   DELETE /{ep}/{path}/observe       cancel the observation (Leshan's passive cancel:
//                                     the next notification is answered with RST)
//   DELETE /{ep}/{path}               Delete
//   every operation takes ?timeout=<s> (default 5 s)
// Device answers come back as HTTP 200 with {status:"CONTENT(205)", success, content, ...};
// HTTP 400/500/504 mean the request never got a device answer.
// Events: GET /api/event?ep={ep} (server-sent events, needs Accept: text/event-stream):
//   REGISTRATION / UPDATED / DEREGISTRATION (registration JSON), NOTIFICATION
//   ({ep, res, val}), SLEEPING / AWAKE, COAPLOG.
// Security (SecurityServlet at /api/security/*, SecurityDeserializer / SecuritySerializer of the
// 2.0.0-M4 demo jar):
//   PUT    /clients        {"endpoint": ep, "psk": {"identity": id, "key": "<hex>"}} → 200;
//                          400 "Invalid request body", or "Non unique security info: …"
//   GET    /clients        [{"endpoint", "psk": {"identity", "key"}}, …]
//   DELETE /clients/{ep}   200, or 404 when none
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';

export type LeshanFormat = 'TLV' | 'SENML_CBOR' | 'SENML_JSON' | 'JSON' | 'TEXT' | 'OPAQUE' | 'CBOR' | 'LINK';

/** An LwM2M node as the demo serialises it (LwM2mNodeSerializer). */
export interface LeshanNode {
  id: number;
  value?: unknown;
  values?: Record<string, unknown>;
  resources?: LeshanNode[];
  instances?: LeshanNode[];
}

export interface LeshanLink {
  url: string;
  attributes: Record<string, string>;
}

/** A device answer relayed by the demo (ResponseSerializer). */
export interface LeshanResponse {
  status: string; // e.g. "CONTENT(205)"
  /** CoAP code as "2.05", parsed from status. */
  code: string;
  valid: boolean;
  success: boolean;
  failure: boolean;
  content?: LeshanNode;
  objectLinks?: LeshanLink[];
  location?: string;
  errormessage?: string;
}

export interface LeshanRegistration {
  endpoint: string;
  registrationId: string;
  address: string;
  lwM2mVersion: string;
  lifetime: number;
  bindingMode: string;
  rootPath: string;
  objectLinks: LeshanLink[];
  queuemode: boolean;
  secure: boolean;
  [k: string]: unknown;
}

export class LeshanHttpError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${httpStatus} ${body.slice(0, 500)}`);
  }
}

/** Result of an HTTP exchange; errors (refused, timeout) are values. */
export interface HttpResult {
  status: number;
  body: string;
}

/** One bounded HTTP exchange on loopback (no keep-alive; the harness is not a hot path). */
export function httpCall(method: string, url: string, body?: string, contentType?: string, timeoutMs = 30000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Connection: 'close' };
    if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    // agent:false → a fresh socket per call (Node 20's global agent keeps sockets alive,
    // and the JDK HttpServer closes them after Connection: close → 'socket hang up').
    const req = httpRequest(url, { method, headers, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function codeOf(status: string): string {
  const m = /\((\d)(\d\d)\)/.exec(status);
  return m ? `${m[1]}.${m[2]}` : '?';
}

function normPath(path: string): string {
  return '/' + path.replace(/^\/+|\/+$/g, '');
}

export interface OpOptions {
  format?: LeshanFormat;
  /** Leshan's request timeout in seconds (demo default 5). */
  timeoutS?: number;
}

/** REST client for the Leshan demo server. */
export class LeshanServerRest {
  constructor(readonly baseUrl: string) {}

  private url(ep: string, path: string, suffix = '', query: Record<string, string | undefined> = {}): string {
    const p = path === '' || path === '/' ? '' : normPath(path);
    const q = Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v!)}`)
      .join('&');
    return `${this.baseUrl}/api/clients/${encodeURIComponent(ep)}${p}${suffix}${q ? `?${q}` : ''}`;
  }

  private async device(method: string, url: string, what: string, body?: string, type?: string): Promise<LeshanResponse> {
    const r = await httpCall(method, url, body, type);
    if (r.status !== 200) throw new LeshanHttpError(r.status, r.body, what);
    const json = JSON.parse(r.body) as Omit<LeshanResponse, 'code'>;
    return { ...json, code: codeOf(json.status) };
  }

  private static opQuery(o: OpOptions): Record<string, string | undefined> {
    return { format: o.format, timeout: o.timeoutS === undefined ? undefined : String(o.timeoutS) };
  }

  async listClients(): Promise<LeshanRegistration[]> {
    const r = await httpCall('GET', `${this.baseUrl}/api/clients`);
    if (r.status !== 200) throw new LeshanHttpError(r.status, r.body, 'list clients');
    return JSON.parse(r.body) as LeshanRegistration[];
  }

  async getClient(ep: string): Promise<LeshanRegistration | undefined> {
    const r = await httpCall('GET', `${this.baseUrl}/api/clients/${encodeURIComponent(ep)}`);
    if (r.status === 400 && /no registered client/i.test(r.body)) return undefined;
    if (r.status !== 200) throw new LeshanHttpError(r.status, r.body, `get client ${ep}`);
    return JSON.parse(r.body) as LeshanRegistration;
  }

  /** Polls until `ep` is registered (bounded). */
  async waitForRegistration(ep: string, timeoutMs = 30000, pollMs = 200): Promise<LeshanRegistration> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reg = await this.getClient(ep);
      if (reg) return reg;
      if (Date.now() > deadline) throw new Error(`${ep} did not register with Leshan within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  read(ep: string, path: string, o: OpOptions = {}): Promise<LeshanResponse> {
    return this.device('GET', this.url(ep, path, '', LeshanServerRest.opQuery(o)), `read ${ep}${path}`);
  }

  discover(ep: string, path: string, o: OpOptions = {}): Promise<LeshanResponse> {
    return this.device('GET', this.url(ep, path, '/discover', LeshanServerRest.opQuery({ timeoutS: o.timeoutS })), `discover ${ep}${path}`);
  }

  /** Write a node (Replace unless replace=false → Partial Update). */
  write(ep: string, path: string, node: LeshanNode, o: OpOptions & { replace?: boolean } = {}): Promise<LeshanResponse> {
    const q = { ...LeshanServerRest.opQuery(o), replace: o.replace === undefined ? undefined : String(o.replace) };
    return this.device('PUT', this.url(ep, path, '', q), `write ${ep}${path}`, JSON.stringify(node));
  }

  /** Write one single-instance resource, e.g. writeResource(ep, '/3/0/14', '+02'). */
  writeResource(ep: string, path: string, value: string | number | boolean, o: OpOptions = {}): Promise<LeshanResponse> {
    const id = Number(normPath(path).split('/').pop());
    return this.write(ep, path, { id, value }, o);
  }

  execute(ep: string, path: string, args?: string, o: OpOptions = {}): Promise<LeshanResponse> {
    const url = this.url(ep, path, '', LeshanServerRest.opQuery({ timeoutS: o.timeoutS }));
    return this.device('POST', url, `execute ${ep}${path}`, args ?? '', 'text/plain');
  }

  /** Write-Attributes, e.g. { pmin: 1, pmax: 5 }; null clears an attribute (sent as a bare name). */
  writeAttributes(ep: string, path: string, attrs: Record<string, number | string | null>, o: OpOptions = {}): Promise<LeshanResponse> {
    const parts = Object.entries(attrs).map(([k, v]) => (v === null ? k : `${k}=${v}`));
    if (o.timeoutS !== undefined) parts.push(`timeout=${o.timeoutS}`);
    const url = `${this.url(ep, path, '/attributes')}?${parts.join('&')}`;
    return this.device('PUT', url, `write-attributes ${ep}${path}`);
  }

  observe(ep: string, path: string, o: OpOptions = {}): Promise<LeshanResponse> {
    return this.device('POST', this.url(ep, path, '/observe', LeshanServerRest.opQuery(o)), `observe ${ep}${path}`);
  }

  /** Cancels Leshan's observation of `path` (passive: the client's next notification gets RST). */
  async cancelObservation(ep: string, path: string): Promise<void> {
    const r = await httpCall('DELETE', this.url(ep, path, '/observe'));
    if (r.status !== 200) throw new LeshanHttpError(r.status, r.body, `cancel observe ${ep}${path}`);
  }

  create(ep: string, path: string, instance: LeshanNode, o: OpOptions = {}): Promise<LeshanResponse> {
    return this.device('POST', this.url(ep, path, '', LeshanServerRest.opQuery(o)), `create ${ep}${path}`, JSON.stringify(instance));
  }

  delete(ep: string, path: string, o: OpOptions = {}): Promise<LeshanResponse> {
    return this.device('DELETE', this.url(ep, path, '', LeshanServerRest.opQuery({ timeoutS: o.timeoutS })), `delete ${ep}${path}`);
  }

  /** Bootstrap-Request Trigger: Execute /1/{serverInstance}/9 (Core 1.1 Server object, resource 9). */
  bootstrapRequestTrigger(ep: string, serverInstance = 0): Promise<LeshanResponse> {
    return this.execute(ep, `/1/${serverInstance}/9`);
  }

  /** Gives `ep` a PSK at the server (the demo's SecurityServlet); the client must then use coaps. */
  async setPsk(ep: string, identity: string, key: Uint8Array): Promise<void> {
    const hex = Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('');
    const r = await httpCall('PUT', `${this.baseUrl}/api/security/clients`, JSON.stringify({ endpoint: ep, psk: { identity, key: hex } }));
    if (r.status !== 200) throw new LeshanHttpError(r.status, r.body, `set PSK of ${ep}`);
  }

  /** Endpoints with security info and their PSK identities (keys left out). */
  async listSecurity(): Promise<Array<{ endpoint: string; pskIdentity?: string }>> {
    const r = await httpCall('GET', `${this.baseUrl}/api/security/clients`);
    if (r.status !== 200) throw new LeshanHttpError(r.status, r.body, 'list security');
    const all = JSON.parse(r.body) as Array<{ endpoint: string; psk?: { identity: string } }>;
    return all.map((s) => ({ endpoint: s.endpoint, pskIdentity: s.psk?.identity }));
  }

  /** Removes `ep`'s security info; false when it had none. */
  async removeSecurity(ep: string): Promise<boolean> {
    const r = await httpCall('DELETE', `${this.baseUrl}/api/security/clients/${encodeURIComponent(ep)}`);
    if (r.status === 200) return true;
    if (r.status === 404) return false;
    throw new LeshanHttpError(r.status, r.body, `remove security of ${ep}`);
  }

  /** Subscribes to the demo's server-sent events (all endpoints, or one). */
  events(ep?: string): Promise<LeshanEventStream> {
    return LeshanEventStream.open(`${this.baseUrl}/api/event${ep ? `?ep=${encodeURIComponent(ep)}` : ''}`);
  }
}

/** Value of resource `id` inside a read object-instance node (single value or map of instances). */
export function resourceValue(node: LeshanNode | undefined, id: number): unknown {
  if (!node) return undefined;
  if (node.id === id && (node.value !== undefined || node.values !== undefined)) return node.value ?? node.values;
  const r = node.resources?.find((x) => x.id === id);
  return r ? (r.value ?? r.values) : undefined;
}

export interface LeshanEvent {
  type: string;
  data: unknown;
  receivedAt: number;
}

/** Notification payload of the demo's NOTIFICATION event. */
export interface LeshanNotification {
  ep: string;
  res: string;
  val: LeshanNode;
}

/** Events kept per stream (oldest dropped, counted). */
const EVENTS_KEPT = 1000;

/** A server-sent-events subscription; close() it in an after hook. */
export class LeshanEventStream {
  readonly events: LeshanEvent[] = [];
  dropped = 0;
  private waiters: { type: string; pred: (e: LeshanEvent) => boolean; resolve: (e: LeshanEvent) => void }[] = [];
  private buffer = '';
  private closed = false;

  private constructor(
    private readonly req: ClientRequest,
    res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => this.onChunk(chunk));
    res.on('error', () => undefined);
    req.on('error', () => undefined);
  }

  static open(url: string, timeoutMs = 10000): Promise<LeshanEventStream> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers: { Accept: 'text/event-stream' }, agent: false }, (res) => {
        clearTimeout(timer);
        if (res.statusCode !== 200) {
          res.resume();
          req.destroy();
          reject(new Error(`event stream ${url}: HTTP ${res.statusCode}`));
          return;
        }
        resolve(new LeshanEventStream(req, res));
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`event stream ${url}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end();
    });
  }

  private onChunk(chunk: string): void {
    this.buffer += chunk.replace(/\r\n/g, '\n');
    let idx: number;
    while ((idx = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      let type = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      let parsed: unknown = data.join('\n');
      try {
        parsed = JSON.parse(parsed as string);
      } catch {
        /* keep raw text */
      }
      this.push({ type, data: parsed, receivedAt: Date.now() });
    }
  }

  private push(e: LeshanEvent): void {
    if (this.events.length >= EVENTS_KEPT) {
      this.events.shift();
      this.dropped++;
    }
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (w.type === e.type && w.pred(e)) {
        w.resolve(e);
        return false;
      }
      return true;
    });
  }

  /** Events of one type seen so far. */
  ofType(type: string): LeshanEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Next event of `type` satisfying `pred` (also matches ones already received when fromStart). */
  waitFor(type: string, timeoutMs: number, pred: (e: LeshanEvent) => boolean = () => true, fromStart = false): Promise<LeshanEvent> {
    if (fromStart) {
      const hit = this.events.find((e) => e.type === type && pred(e));
      if (hit) return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const w = {
        type,
        pred,
        resolve: (e: LeshanEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        const seen = this.events.map((e) => e.type).join(', ') || 'none';
        reject(new Error(`no ${type} event within ${timeoutMs} ms (events seen: ${seen})`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Waits until `count` NOTIFICATION events for `ep`/`path` have arrived in total. */
  async notifications(ep: string, path: string, count: number, timeoutMs: number): Promise<LeshanNotification[]> {
    const match = (e: LeshanEvent) => {
      const n = e.data as LeshanNotification;
      return e.type === 'NOTIFICATION' && n.ep === ep && normPath(n.res) === normPath(path);
    };
    const deadline = Date.now() + timeoutMs;
    while (this.events.filter(match).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`only ${this.events.filter(match).length}/${count} notifications for ${ep}${path} within ${timeoutMs} ms`);
      }
      await this.waitFor('NOTIFICATION', left, match).catch(() => undefined);
    }
    return this.events.filter(match).map((e) => e.data as LeshanNotification);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.req.destroy();
  }
}

// ---------------------------------------------------------------- bootstrap server

/** Leshan's BootstrapConfig.ServerSecurity, JSON field names as Leshan (bytes as 0..255 arrays). */
export interface LeshanBsSecurity {
  uri: string;
  bootstrapServer: boolean;
  securityMode: 'NO_SEC' | 'PSK' | 'RPK' | 'X509' | 'EST';
  publicKeyOrId?: number[];
  serverPublicKey?: number[];
  secretKey?: number[];
  serverId?: number;
  clientOldOffTime?: number;
  bootstrapServerAccountTimeout?: number;
}

/** Leshan's BootstrapConfig.ServerConfig. */
export interface LeshanBsServer {
  shortId: number;
  lifetime: number;
  defaultMinPeriod?: number;
  defaultMaxPeriod?: number;
  disableTimeout?: number;
  notifIfDisabled?: boolean;
  binding: string[]; // BindingMode names: "U", "Q", ...
  trigger?: boolean;
}

/** Leshan's BootstrapConfig: what the bootstrap server sends, in this order:
 *  Delete each toDelete path, Write /0 instances, Write /1 instances, Write /2 (acls), Finish. */
export interface LeshanBootstrapConfig {
  autoIdForSecurityObject?: boolean;
  /** Content format of the Bootstrap-Writes ("TLV", "SENML_CBOR", ... or a number). */
  contentFormat?: LeshanFormat | number;
  toDelete: string[];
  servers: Record<string, LeshanBsServer>;
  security: Record<string, LeshanBsSecurity>;
  acls?: Record<string, unknown>;
}

export interface BootstrapSetup {
  /** The LwM2M server the client must register to, e.g. coap://127.0.0.1:5683 */
  serverUri: string;
  shortServerId?: number;
  lifetime?: number;
  binding?: string[];
  /** PSK of the server account (Security Mode 0, /0/x/3 identity, /0/x/5 key); use with a coaps serverUri. */
  serverPsk?: { identity: string; key: Uint8Array };
  /** When given, the bootstrap server also writes its own account (Security with bootstrapServer=true). */
  bootstrapServerUri?: string;
  /**
   * PSK of that Bootstrap-Server account (needs bootstrapServerUri, a coaps URI): written to the
   * client and, in our BsServer launcher as in Leshan's bsserver demo, the credentials the client
   * must present when it connects to the bootstrap server over coaps.
   */
  bootstrapPsk?: { identity: string; key: Uint8Array };
  contentFormat?: LeshanFormat;
  /** Default ['/']: Bootstrap-Delete on '/' (Core 1.1 §5.2.7.5). */
  toDelete?: string[];
  /** Default true: Leshan discovers /0 first and picks free Security instance ids. */
  autoIdForSecurityObject?: boolean;
}

const utf8Bytes = (t: string): number[] => Array.from(new TextEncoder().encode(t));

/** The usual config: Delete '/', a no-sec (or PSK) Security + Server account for `serverUri`, Finish. */
export function bootstrapConfig(s: BootstrapSetup): LeshanBootstrapConfig {
  const shortId = s.shortServerId ?? 123;
  if (s.bootstrapPsk && !s.bootstrapServerUri) throw new Error('bootstrapConfig: bootstrapPsk needs bootstrapServerUri');
  const cfg: LeshanBootstrapConfig = {
    autoIdForSecurityObject: s.autoIdForSecurityObject ?? true,
    toDelete: s.toDelete ?? ['/'],
    servers: {
      '0': { shortId, lifetime: s.lifetime ?? 300, binding: s.binding ?? ['U'], notifIfDisabled: true },
    },
    security: {
      '0': {
        uri: s.serverUri,
        bootstrapServer: false,
        securityMode: s.serverPsk ? 'PSK' : 'NO_SEC',
        publicKeyOrId: s.serverPsk ? utf8Bytes(s.serverPsk.identity) : [],
        serverPublicKey: [],
        secretKey: s.serverPsk ? Array.from(s.serverPsk.key) : [],
        serverId: shortId,
      },
    },
  };
  if (s.contentFormat) cfg.contentFormat = s.contentFormat;
  if (s.bootstrapServerUri) {
    cfg.security['1'] = {
      uri: s.bootstrapServerUri,
      bootstrapServer: true,
      securityMode: s.bootstrapPsk ? 'PSK' : 'NO_SEC',
      publicKeyOrId: s.bootstrapPsk ? utf8Bytes(s.bootstrapPsk.identity) : [],
      serverPublicKey: [],
      secretKey: s.bootstrapPsk ? Array.from(s.bootstrapPsk.key) : [],
    };
  }
  return cfg;
}

export interface BsSessionEvent {
  time: number;
  endpoint: string;
  session: string;
  event: 'authorized' | 'noConfig' | 'request' | 'response' | 'responseError' | 'requestFailure' | 'finished' | 'failed';
  detail?: string;
}

/** REST client for our Leshan bootstrap-server launcher (BootstrapServlet shape + /api/sessions). */
export class LeshanBootstrapRest {
  constructor(readonly baseUrl: string) {}

  async setConfig(ep: string, cfg: LeshanBootstrapConfig): Promise<void> {
    const r = await httpCall('POST', `${this.baseUrl}/api/bootstrap/${encodeURIComponent(ep)}`, JSON.stringify(cfg));
    if (r.status !== 200) throw new LeshanHttpError(r.status, r.body, `set bootstrap config ${ep}`);
  }

  async deleteConfig(ep: string): Promise<boolean> {
    const r = await httpCall('DELETE', `${this.baseUrl}/api/bootstrap/${encodeURIComponent(ep)}`);
    if (r.status === 204) return true;
    if (r.status === 404) return false;
    throw new LeshanHttpError(r.status, r.body, `delete bootstrap config ${ep}`);
  }

  async listConfigs(): Promise<Record<string, LeshanBootstrapConfig>> {
    const r = await httpCall('GET', `${this.baseUrl}/api/bootstrap`);
    if (r.status !== 200) throw new LeshanHttpError(r.status, r.body, 'list bootstrap configs');
    return JSON.parse(r.body) as Record<string, LeshanBootstrapConfig>;
  }

  /** Bootstrap session events (requests sent, answers, finished/failed), oldest first. */
  async sessions(ep?: string): Promise<BsSessionEvent[]> {
    const r = await httpCall('GET', `${this.baseUrl}/api/sessions`);
    if (r.status !== 200) throw new LeshanHttpError(r.status, r.body, 'bootstrap sessions');
    const all = (JSON.parse(r.body) as { events: BsSessionEvent[] }).events;
    return ep ? all.filter((e) => e.endpoint === ep) : all;
  }

  /**
   * Waits for the `nth` (1-based) bootstrap session of `ep` to end; resolves with that
   * session's events, rejects if it failed or did not end in time.
   */
  async waitForSession(ep: string, timeoutMs = 30000, nth = 1): Promise<BsSessionEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const evs = await this.sessions(ep);
      const ends = evs.filter((e) => e.event === 'finished' || e.event === 'failed');
      if (ends.length >= nth) {
        const end = ends[nth - 1]!;
        const session = evs.filter((e) => e.session === end.session);
        if (end.event === 'failed') {
          throw new Error(`bootstrap of ${ep} failed: ${end.detail}\n${session.map((e) => `${e.event} ${e.detail ?? ''}`).join('\n')}`);
        }
        return session;
      }
      if (Date.now() > deadline) {
        throw new Error(`bootstrap session #${nth} of ${ep} did not end within ${timeoutMs} ms; events: ${JSON.stringify(evs)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
