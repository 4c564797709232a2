// The LwM2M client engine: factory/stored configuration → bootstrap when no
// usable LwM2M Server Account exists → register to every server → ready.
// One CoAP endpoint (one UDP port) serves the Bootstrap-Server and all
// LwM2M Servers; incoming requests are routed by peer and state.
import type { EndpointOptions, IncomingRequest, Peer, ResponseSpec } from '../coap/api';
import { CoapEndpoint } from '../coap/endpoint';
import { Code, codeString, methodName } from '../coap/message';
import { exchangeLifetime, maxTransmitWait, resolveParams } from '../coap/params';
import { ContentFormat, encodeLinkFormat, type Link, type ResourceRecord } from '../formats/index';
import { getObjectDef } from '../model/objects';
import { parsePath } from '../model/path';
import type { DatagramTransport, Logger, Random, TimerHandle, Timers, WallClock } from '../platform/ports';
import { bootstrapAccountRecords, serverAccountRecords, type BootstrapAccountSpec, type ServerAccountSpec } from './account-records';
import { bootstrapAccount, serverAccounts, type ServerAccount } from './accounts';
import type { ApplyLimits } from './apply';
import { BootstrapSession } from './bootstrap-interface';
import type { ConsistencyOptions } from './consistency';
import { DeviceRuntime, installDevice, type DeviceInfo } from './device-object';
import { DeviceManagement, type ExecuteHandler } from './device-management';
import type { ReportingOptions } from './reporting';
import { sendTo, setValue, type SendResult } from './app-data';
import type { Path, Value } from '../model/types';
import { DEV, OBJ, SECURITY_MODE, SRV } from './ids';
import { ObjectTree } from './object-tree';
import { Registration } from './registration';
import { isIpLiteral, sameAddress, type ServerUri } from './server-uri';
import { utf8Decode } from '../util/utf8';

export type ClientState =
  | 'stopped' | 'bootstrap-pending' | 'bootstrapping' | 'registering' | 'registered'
  | 'registration-failed' | 'no-bootstrap-server';

export type ClientEvent =
  | { type: 'state'; state: ClientState }
  | { type: 'bootstrap-request'; uri: string }
  | { type: 'bootstrap-operation'; method: string; path: string; code: string }
  | { type: 'bootstrap-finished'; ok: boolean; diagnostic?: string }
  | { type: 'bootstrap-aborted'; reason: string }
  | { type: 'registered'; ssid: number; location: string }
  | { type: 'updated'; ssid: number }
  | { type: 'registration-failed'; ssid: number }
  | { type: 'deregistered'; ssid: number };

/** Where the configuration survives a reboot (the flash record store on a device). */
export interface ConfigPersistence {
  load(): ObjectTree | undefined;
  /** Atomic: the whole tree or nothing. Returns false when it could not be stored. */
  save(tree: ObjectTree): boolean;
}

export interface FactoryConfig {
  /** The Bootstrap-Server Account the device ships with. */
  bootstrap?: BootstrapAccountSpec;
  /** LwM2M Server Accounts the device ships with (NoSec only in this build). */
  servers?: Array<Omit<ServerAccountSpec, 'psk'>>;
}

export interface ClientOptions {
  endpointName: string;
  transport: DatagramTransport;
  timers: Timers;
  random: Random;
  log: Logger;
  wallClock?: WallClock;
  factory?: FactoryConfig;
  persistence?: ConfigPersistence;
  device?: DeviceInfo;
  /** Host name → IP literal; undefined when it cannot be resolved. IP literals need no resolver. */
  resolveHost?: (host: string) => Promise<string | undefined>;
  /** Sent as `pct=` in the Bootstrap-Request (1.1). */
  preferredContentFormat?: number;
  coap?: Partial<Omit<EndpointOptions, 'transport' | 'timers' | 'random' | 'log'>>;
  /** Bootstrap-Request retry: first delay and cap, seconds (exponential with jitter). */
  bootstrapRetry?: { initialDelay?: number; maxDelay?: number };
  /** Bootstrap sequence abandoned after this long without a request from the Bootstrap-Server, seconds (default EXCHANGE_LIFETIME). */
  bootstrapSequenceTimeout?: number;
  limits?: Partial<ApplyLimits>;
  /** Further objects with a definition in the data model (e.g. 6 Location) the application serves. */
  objects?: number[];
  /** Information Reporting bounds and confirmable policy. */
  reporting?: ReportingOptions;
  onEvent?: (e: ClientEvent) => void;
}

/** Objects this client implements (the data model has definitions for them). */
export const SUPPORTED_OBJECTS: ReadonlySet<number> = new Set([OBJ.SECURITY, OBJ.SERVER, OBJ.ACCESS_CONTROL, OBJ.DEVICE]);
/** Registration payload content formats (Core §6.2.1 `ct` on the root link). */
const SUPPORTED_FORMATS = Object.freeze([ContentFormat.TEXT, ContentFormat.OPAQUE, ContentFormat.CBOR, ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR, ContentFormat.TLV, ContentFormat.LWM2M_JSON]);

export class LwM2MClient {
  readonly endpoint: CoapEndpoint;
  state: ClientState = 'stopped';
  /** The running configuration and object data. */
  running = new ObjectTree();
  private session: BootstrapSession | undefined;
  private sessionOrigin: 'client' | 'server' = 'client';
  private bsPeer: Peer | undefined;
  private registrations: Registration[] = [];
  /** Servers waiting for their turn in the Registration Priority Order, and the one whose turn it is. */
  private pendingOrder: Registration[] = [];
  private orderHead: Registration | undefined;
  /** Set by the Bootstrap-Request Trigger: a failed bootstrap then returns to the running accounts. */
  private fallbackToRegistration = false;
  private bootstrapAttempt = 0;
  private bsTimer: TimerHandle | undefined;
  private sequenceTimer: TimerHandle | undefined;
  private purgeTimer: TimerHandle | undefined;
  private readonly device: DeviceRuntime;
  private readonly dm: DeviceManagement;
  private readonly limits: ApplyLimits;
  private readonly consistency: ConsistencyOptions;
  private readonly executables = new Map<string, ExecuteHandler>();
  /** SUPPORTED_OBJECTS plus the application's objects (ClientOptions.objects). */
  private readonly supported: ReadonlySet<number>;
  private readonly params;
  private generation = 0;

  constructor(private readonly o: ClientOptions) {
    this.params = resolveParams(o.coap?.params);
    this.endpoint = new CoapEndpoint({ ...o.coap, transport: o.transport, timers: o.timers, random: o.random, log: o.log });
    this.endpoint.onRequest = (req) => this.route(req);
    this.limits = { maxInstancesPerObject: 8, maxResourceInstances: 16, ...o.limits };
    this.supported = new Set([...SUPPORTED_OBJECTS, ...(o.objects ?? []).filter((id) => getObjectDef(id) !== undefined)]);
    this.consistency = { supportedObjects: this.supported, supportedSecurityModes: new Set([SECURITY_MODE.NOSEC]) };
    this.device = new DeviceRuntime(o.wallClock ?? { epochSeconds: () => 0 }, o.device ?? {});
    this.dm = new DeviceManagement({
      tree: () => this.running, log: o.log, supportedObjects: this.supported, limits: this.limits,
      device: this.device, executables: this.executables,
      changed: (kind, path) => this.dataChanged(kind, path.objectId!, path.instanceId),
      timers: o.timers, reporting: o.reporting,
    });
    this.installExecutables();
  }

  get registered(): Registration[] { return this.registrations.filter((r) => r.state === 'registered'); }

  /** Load stored configuration (or the factory one) and connect. */
  start(): void {
    if (this.state !== 'stopped') return;
    const stored = this.o.persistence?.load();
    this.running = stored ?? factoryTree(this.o.factory);
    this.o.log.info(`client: ${this.o.endpointName} starting from ${stored ? 'stored' : 'factory'} configuration`);
    installDevice(this.running, this.o.device ?? {});
    this.connect();
  }

  /** De-register from every server and stop; the transport stays open (its owner closes it). */
  async stop(): Promise<void> {
    this.generation++;
    this.clearTimers();
    this.dm.reporting?.cancelAll();
    this.session = undefined;
    const regs = this.registrations;
    this.forgetRegistrations();
    await this.deregister(regs);
    this.setState('stopped');
    this.endpoint.close();
  }

  /** After a network change (Wi-Fi back): send an Update to every server, or start over. */
  networkChanged(): void {
    if (this.state === 'registered') for (const r of this.registrations) r.triggerUpdate();
    else if (this.state === 'registration-failed' || this.state === 'no-bootstrap-server') this.connect();
  }

  // Register when there are usable server accounts, otherwise bootstrap.
  private connect(): void {
    void this.resolveBootstrapPeer();
    if (serverAccounts(this.running).length > 0) void this.startRegistrations();
    else this.startBootstrap('no LwM2M Server Account');
  }

  // ---------------------------------------------------------------- routing

  private route(req: IncomingRequest): ResponseSpec | null {
    if (this.state === 'stopped') return null;
    const fromBs = this.bsPeer !== undefined && samePeer(req.peer, this.bsPeer);
    if (this.session) {
      // During bootstrap only the Bootstrap-Server is served (Core §5.2.7).
      if (!fromBs) {
        this.o.log.debug(`client: ignored ${methodName(req.method)} /${req.path.join('/')} from ${req.peer.address}:${req.peer.port} during bootstrap`);
        return null;
      }
      return this.bootstrapRequest(req);
    }
    if (fromBs && bootstrapAccount(this.running)) {
      // Server-initiated bootstrap: the Bootstrap-Server talks first. Only a
      // bootstrap operation opens a sequence (and suspends the registrations);
      // anything else is answered without touching them.
      const opening = opensSequence(req);
      if (opening !== true) return opening;
      this.o.log.info('client: server-initiated bootstrap');
      this.openSession('server');
      return this.bootstrapRequest(req);
    }
    const reg = this.registrations.find((r) => samePeer(req.peer, r.peer));
    if (!reg || reg.state !== 'registered') {
      // Before its Registration is acknowledged a server is ignored (Core §5.4).
      this.o.log.debug(`client: ignored ${methodName(req.method)} /${req.path.join('/')} from an unregistered peer ${req.peer.address}:${req.peer.port}`);
      return null;
    }
    return this.dm.handle(req, reg.ssid);
  }

  private bootstrapRequest(req: IncomingRequest): ResponseSpec {
    const s = this.session!;
    this.armSequenceTimer();
    const res = s.handle(req);
    this.emit({ type: 'bootstrap-operation', method: req.method === Code.POST ? 'FINISH' : methodName(req.method), path: '/' + req.path.join('/'), code: codeString(res.code) });
    if (s.finished) {
      const config = s.finished;
      // Commit after the 2.04 has been handed to the CoAP layer.
      this.o.timers.setTimeout(() => { if (this.session === s) this.commitBootstrap(config); }, 0);
    } else if (req.method === Code.POST && res.code === Code.NOT_ACCEPTABLE) {
      this.emit({ type: 'bootstrap-finished', ok: false, diagnostic: utf8Decode(res.payload ?? new Uint8Array(0)) });
    }
    return res;
  }

  // -------------------------------------------------------------- bootstrap

  private startBootstrap(reason: string, opts: { holdOff?: boolean } = {}): void {
    this.clearBootstrapTimer();
    this.abandonRegistrations();
    const acct = bootstrapAccount(this.running);
    if (!acct) {
      this.o.log.error(`client: cannot bootstrap (${reason}): no Bootstrap-Server Account`);
      this.setState('no-bootstrap-server');
      return;
    }
    this.setState('bootstrap-pending');
    const delay = this.bootstrapAttempt === 0 ? (opts.holdOff === false ? 0 : acct.clientHoldOffTime) : this.backoff(this.bootstrapAttempt);
    this.o.log.info(`client: bootstrap (${reason}) in ${delay.toFixed(1)} s`);
    const gen = this.generation;
    this.bsTimer = this.o.timers.setTimeout(() => { this.bsTimer = undefined; if (gen === this.generation) void this.requestBootstrap(); }, delay * 1000);
  }

  // Exponential backoff with jitter: initial × 2^(n−1) capped, then a random
  // 50–100 % of it, so a fleet does not retry in lockstep and never spins.
  private backoff(attempt: number): number {
    const initial = this.o.bootstrapRetry?.initialDelay ?? 10;
    const max = this.o.bootstrapRetry?.maxDelay ?? 3600;
    const base = Math.min(max, initial * 2 ** Math.min(attempt - 1, 20));
    return base * (0.5 + 0.5 * this.o.random.float());
  }

  private async requestBootstrap(): Promise<void> {
    const acct = bootstrapAccount(this.running);
    if (!acct) { this.startBootstrap('account vanished'); return; }
    const gen = this.generation;
    const peer = await this.resolve(acct.uri);
    if (gen !== this.generation) return;
    if (!peer) { this.bootstrapFailed(`cannot resolve ${acct.uri.host}`); return; }
    this.bsPeer = peer;
    const session = this.openSession('client');
    const query = [`ep=${this.o.endpointName}`];
    if (this.o.preferredContentFormat !== undefined) query.push(`pct=${this.o.preferredContentFormat}`);
    const uri = `${acct.uri.scheme}://${acct.uri.host}:${acct.uri.port}`;
    this.o.log.info(`client: Bootstrap-Request to ${uri}`);
    this.emit({ type: 'bootstrap-request', uri });
    try {
      const res = await this.endpoint.request(peer, { method: Code.POST, path: ['bs'], query });
      if (this.session !== session) return;
      if (res.code !== Code.CHANGED) this.abortSession(`Bootstrap-Request answered ${codeString(res.code)}`);
    } catch (e) {
      // The server may already be writing (its 2.04 lost): keep going then.
      if (this.session === session && session.requests === 0) this.abortSession(`Bootstrap-Request failed: ${(e as Error).message}`);
    }
  }

  private openSession(origin: 'client' | 'server'): BootstrapSession {
    this.clearBootstrapTimer();
    this.abandonRegistrations();
    this.sessionOrigin = origin;
    this.session = new BootstrapSession(this.running, { log: this.o.log, supportedObjects: this.supported, consistency: this.consistency, limits: this.limits });
    this.setState('bootstrapping');
    this.armSequenceTimer();
    return this.session;
  }

  private armSequenceTimer(): void {
    if (this.sequenceTimer !== undefined) this.o.timers.clearTimeout(this.sequenceTimer);
    const ms = this.o.bootstrapSequenceTimeout !== undefined ? this.o.bootstrapSequenceTimeout * 1000 : exchangeLifetime(this.params);
    this.sequenceTimer = this.o.timers.setTimeout(() => { this.sequenceTimer = undefined; this.abortSession('no Bootstrap-Finish in time'); }, ms);
  }

  /** Drop the working copy: the running configuration is untouched. */
  private abortSession(reason: string): void {
    if (!this.session) return;
    this.session = undefined;
    if (this.sequenceTimer !== undefined) { this.o.timers.clearTimeout(this.sequenceTimer); this.sequenceTimer = undefined; }
    this.o.log.warn(`client: bootstrap aborted: ${reason}; running configuration kept`);
    this.emit({ type: 'bootstrap-aborted', reason });
    if (this.sessionOrigin === 'server' && serverAccounts(this.running).length > 0) void this.startRegistrations();
    else this.bootstrapFailed(reason);
  }

  private bootstrapFailed(reason: string): void {
    if (this.fallbackToRegistration && serverAccounts(this.running).length > 0) {
      // A triggered bootstrap that failed left the running accounts intact: use them.
      this.fallbackToRegistration = false;
      this.o.log.warn(`client: triggered bootstrap failed (${reason}); registering with the running configuration`);
      void this.startRegistrations();
      return;
    }
    this.bootstrapAttempt++;
    this.startBootstrap(reason);
  }

  // Bootstrap-Request Trigger (/1/x/9): de-register from every server first
  // (as Leshan does: the Bootstrap-Server may remove them, and they must not
  // keep a registration the client no longer serves), then a client-initiated
  // bootstrap without Client Hold Off Time (the server asked for it now).
  private async triggeredBootstrap(): Promise<void> {
    const gen = ++this.generation;
    this.clearBootstrapTimer();
    const regs = this.registrations;
    this.forgetRegistrations();
    this.setState('bootstrap-pending');
    for (const r of regs) this.dm.reporting?.dropServer(r.ssid);
    await this.deregister(regs);
    if (gen !== this.generation) return;
    this.bootstrapAttempt = 0;
    this.fallbackToRegistration = true;
    this.startBootstrap('Bootstrap-Request Trigger', { holdOff: false });
  }

  // Forget the registrations without stopping them (the caller de-registers them).
  private forgetRegistrations(): void {
    this.registrations = [];
    this.pendingOrder = [];
    this.orderHead = undefined;
  }

  /** De-register from these servers at once; an event for each that was registered. */
  private async deregister(regs: Registration[]): Promise<void> {
    await Promise.all(regs.map(async (r) => {
      const was = r.state === 'registered';
      await r.deregister();
      if (was) this.emit({ type: 'deregistered', ssid: r.ssid });
    }));
  }

  private commitBootstrap(config: ObjectTree): void {
    this.session = undefined;
    if (this.sequenceTimer !== undefined) { this.o.timers.clearTimeout(this.sequenceTimer); this.sequenceTimer = undefined; }
    installDevice(config, this.o.device ?? {});
    this.running = config;
    this.bootstrapAttempt = 0;
    this.fallbackToRegistration = false;
    const saved = this.persist();
    this.o.log.info(`client: bootstrap configuration committed${this.o.persistence ? (saved ? ' and stored' : ' (NOT stored)') : ''}`);
    this.emit({ type: 'bootstrap-finished', ok: true });
    this.schedulePurge();
    void this.resolveBootstrapPeer();
    void this.startRegistrations();
  }

  // Bootstrap-Server Account Timeout (/0/x/12): purge the account after it.
  private schedulePurge(): void {
    if (this.purgeTimer !== undefined) { this.o.timers.clearTimeout(this.purgeTimer); this.purgeTimer = undefined; }
    const acct = bootstrapAccount(this.running);
    if (!acct || acct.accountTimeout <= 0) return;
    this.purgeTimer = this.o.timers.setTimeout(() => {
      this.purgeTimer = undefined;
      const a = bootstrapAccount(this.running);
      if (!a) return;
      this.running.deleteInstance(OBJ.SECURITY, a.securityInstance);
      this.bsPeer = undefined;
      this.persist();
      this.o.log.info('client: Bootstrap-Server Account purged (account timeout)');
    }, acct.accountTimeout * 1000);
  }

  private async resolveBootstrapPeer(): Promise<void> {
    const acct = bootstrapAccount(this.running);
    if (!acct) { this.bsPeer = undefined; return; }
    const p = await this.resolve(acct.uri);
    if (p) this.bsPeer = p;
  }

  // ----------------------------------------------------------- registration

  private async startRegistrations(): Promise<void> {
    this.abandonRegistrations();
    const gen = ++this.generation;
    const accounts = serverAccounts(this.running);
    if (accounts.length === 0) { this.startBootstrap('no LwM2M Server Account'); return; }
    this.setState('registering');
    const regs: Registration[] = [];
    for (const account of accounts) {
      const peer = await this.resolve(account.uri);
      if (gen !== this.generation) return;
      if (!peer) { this.o.log.error(`client: cannot resolve ${account.uri.host} (ssid=${account.ssid})`); continue; }
      regs.push(this.newRegistration(account, peer));
    }
    this.registrations = regs;
    if (regs.length === 0) { this.registrationsFailed(); return; }
    // Registration Priority Order (/1/x/13): servers that have one register one
    // after the other, lowest first, each once the previous one has registered
    // or failed, its Initial Registration Delay (/1/x/14) counted from then;
    // servers without one start at once.
    this.pendingOrder = regs.filter((r) => r.account.registrationPriorityOrder !== undefined)
      .sort((a, b) => a.account.registrationPriorityOrder! - b.account.registrationPriorityOrder! || a.ssid - b.ssid);
    for (const r of regs) if (r.account.registrationPriorityOrder === undefined) r.start();
    this.advanceOrder();
  }

  private advanceOrder(): void {
    this.orderHead = this.pendingOrder.shift();
    this.orderHead?.start();
  }

  private newRegistration(account: ServerAccount, peer: Peer): Registration {
    return new Registration({
      endpoint: this.endpoint, timers: this.o.timers, log: this.o.log, endpointName: this.o.endpointName,
      account, peer, objectLinks: () => this.objectLinks(),
      updateMargin: maxTransmitWait(this.params) / 1000,
      events: {
        registered: (r) => {
          // A new Registration ends that server's observations (Core §6.2.1).
          this.dm.reporting?.dropServer(r.ssid);
          this.setState('registered');
          this.emit({ type: 'registered', ssid: r.ssid, location: '/' + r.location.join('/') });
          if (r === this.orderHead) this.advanceOrder();
        },
        updated: (r) => this.emit({ type: 'updated', ssid: r.ssid }),
        failed: (r) => {
          this.emit({ type: 'registration-failed', ssid: r.ssid });
          if (r === this.orderHead) {
            // Registration Failure Block (/1/x/15): the rest of the order is not attempted.
            if (r.account.registrationFailureBlock) {
              for (const b of this.pendingOrder) { b.block(); this.emit({ type: 'registration-failed', ssid: b.ssid }); }
              this.pendingOrder = [];
              this.orderHead = undefined;
            } else this.advanceOrder();
          }
          if (this.registrations.every((x) => x.state === 'failed')) this.registrationsFailed();
        },
      },
    });
  }

  // All registrations failed: fall back to bootstrap when a Bootstrap-Server
  // Account exists and /1/x/16 allows it (Core §6.2.1.1).
  private registrationsFailed(): void {
    const allowed = this.registrations.length === 0 || this.registrations.some((r) => r.account.bootstrapOnRegistrationFailure);
    if (allowed && bootstrapAccount(this.running)) { this.startBootstrap('registration failed'); return; }
    this.o.log.error('client: no LwM2M Server reachable and no bootstrap fallback');
    this.setState('registration-failed');
  }

  private abandonRegistrations(): void {
    for (const r of this.registrations) r.abandon();
    this.forgetRegistrations();
  }

  /** Registration payload (Core §6.2.1): root link, then objects and instances; never the Security object. */
  objectLinks(): string {
    const links: Link[] = [{ target: '/', attrs: [['rt', 'oma.lwm2m'], ['ct', SUPPORTED_FORMATS.join(' ')]] }];
    for (const oid of [...this.supported].sort((a, b) => a - b)) {
      if (oid === OBJ.SECURITY) continue;
      const version = getObjectDef(oid)?.version ?? '1.0';
      const iids = this.running.instanceIds(oid);
      if (version !== '1.0' || iids.length === 0) links.push({ target: `/${oid}`, attrs: version !== '1.0' ? [['ver', version]] : [] });
      for (const iid of iids) links.push({ target: `/${oid}/${iid}`, attrs: [] });
    }
    return encodeLinkFormat(links);
  }

  // ------------------------------------------------ application data (DM)

  /** The Device Management handler (attributes, observations; for tools and tests). */
  get management(): DeviceManagement { return this.dm; }

  /** Set a resource value from the application (e.g. a sensor reading); observers are notified as their attributes allow. */
  setValue(path: string | Path, value: Value | Map<number, Value>): boolean {
    return setValue(this.running, this.dm, path, value);
  }

  /** A value the application keeps elsewhere changed: re-evaluate observations covering `path`. */
  notifyChanged(path: string | Path): void {
    const p = typeof path === 'string' ? parsePath(path) : path;
    if (p) this.dm.notifyChanged(p);
  }

  /** Send (Core §5.5.3): POST /dp to the server `ssid` with the values under `paths`. */
  send(ssid: number, paths: Array<string | Path>, format?: number): Promise<SendResult> {
    const reg = this.registered.find((r) => r.ssid === ssid);
    return sendTo(this.endpoint, this.running, this.dm, reg ? { peer: reg.peer, ssid, serverInstance: reg.account.serverInstance } : undefined, paths, format);
  }

  // -------------------------------------------------------- data changes

  private dataChanged(kind: 'write' | 'create' | 'delete', objectId: number, instanceId: number | undefined): void {
    if (objectId === OBJ.SERVER || objectId === OBJ.SECURITY || objectId === OBJ.ACCESS_CONTROL || objectId === OBJ.DEVICE) this.persist();
    if (kind !== 'write') { for (const r of this.registered) r.triggerUpdate(); return; }
    if (objectId === OBJ.SERVER) {
      // Lifetime or binding changed: tell that server with an Update.
      const fresh = serverAccounts(this.running);
      for (const r of this.registrations) {
        const a = fresh.find((x) => x.serverInstance === instanceId && x.ssid === r.ssid);
        if (!a) continue;
        const changed = a.lifetime !== r.account.lifetime || a.binding !== r.account.binding;
        Object.assign(r.account, { lifetime: a.lifetime, binding: a.binding, retry: a.retry, bootstrapOnRegistrationFailure: a.bootstrapOnRegistrationFailure });
        if (changed) r.triggerUpdate();
      }
    }
  }

  private persist(): boolean {
    if (!this.o.persistence) return false;
    try {
      const ok = this.o.persistence.save(this.running);
      if (!ok) this.o.log.error('client: configuration could not be stored');
      return ok;
    } catch (e) {
      this.o.log.error(`client: storing configuration failed: ${(e as Error).message}`);
      return false;
    }
  }

  private installExecutables(): void {
    const after = (fn: () => void) => { this.o.timers.setTimeout(fn, 0); };
    this.executables.set(`${OBJ.SERVER}/${SRV.REGISTRATION_UPDATE_TRIGGER}`, ({ path }) => {
      const reg = this.registrations.find((r) => r.account.serverInstance === path.instanceId);
      if (!reg) return Code.NOT_FOUND;
      after(() => reg.triggerUpdate());
    });
    this.executables.set(`${OBJ.SERVER}/${SRV.BOOTSTRAP_REQUEST_TRIGGER}`, () => {
      if (!bootstrapAccount(this.running)) return Code.METHOD_NOT_ALLOWED;
      after(() => { void this.triggeredBootstrap(); });
    });
    this.executables.set(`${OBJ.SERVER}/${SRV.DISABLE}`, ({ path }) => {
      const reg = this.registrations.find((r) => r.account.serverInstance === path.instanceId);
      if (!reg) return Code.NOT_FOUND;
      const timeout = Number(this.running.value(OBJ.SERVER, path.instanceId!, SRV.DISABLE_TIMEOUT) ?? 86400);
      after(() => {
        void reg.deregister().then(() => {
          this.o.log.info(`client: ssid=${reg.ssid} disabled for ${timeout} s`);
          this.o.timers.setTimeout(() => { if (this.registrations.includes(reg)) reg.start(); }, timeout * 1000);
        });
      });
    });
    this.executables.set(`${OBJ.DEVICE}/${DEV.REBOOT}`, () => {
      if (!this.o.device?.reboot) return Code.METHOD_NOT_ALLOWED;
      after(() => this.o.device!.reboot!());
    });
    this.executables.set(`${OBJ.DEVICE}/${DEV.FACTORY_RESET}`, () => {
      if (!this.o.device?.factoryReset) return Code.METHOD_NOT_ALLOWED;
      after(() => this.o.device!.factoryReset!());
    });
    this.executables.set(`${OBJ.DEVICE}/${DEV.RESET_ERROR_CODE}`, () => {
      this.running.set(OBJ.DEVICE, 0, DEV.ERROR_CODE, new Map([[0, 0]]));
    });
  }

  // ------------------------------------------------------------- helpers

  private async resolve(uri: ServerUri): Promise<Peer | undefined> {
    if (isIpLiteral(uri.host)) return { address: uri.host, port: uri.port };
    if (uri.host === 'localhost' && !this.o.resolveHost) return { address: '127.0.0.1', port: uri.port };
    const address = await this.o.resolveHost?.(uri.host);
    return address ? { address, port: uri.port } : undefined;
  }

  private setState(s: ClientState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit({ type: 'state', state: s });
  }

  private emit(e: ClientEvent): void {
    try { this.o.onEvent?.(e); } catch { /* an observer's bug must not break the engine */ }
  }

  private clearBootstrapTimer(): void {
    if (this.bsTimer !== undefined) { this.o.timers.clearTimeout(this.bsTimer); this.bsTimer = undefined; }
  }

  private clearTimers(): void {
    this.clearBootstrapTimer();
    for (const t of [this.sequenceTimer, this.purgeTimer]) if (t !== undefined) this.o.timers.clearTimeout(t);
    this.sequenceTimer = this.purgeTimer = undefined;
  }
}

// Write, Delete, Discover and Read open a server-initiated sequence; a lone
// Bootstrap-Finish has no sequence to finish (4.00, as Leshan answers), any
// other method is not a bootstrap operation (4.05).
function opensSequence(req: IncomingRequest): true | ResponseSpec {
  if (req.method === Code.PUT || req.method === Code.DELETE || (req.method === Code.GET && req.observe === undefined)) return true;
  const code = req.method === Code.POST && req.path.length === 1 && req.path[0] === 'bs' ? Code.BAD_REQUEST : Code.METHOD_NOT_ALLOWED;
  return { code };
}

function samePeer(a: Peer, b: Peer): boolean {
  return a.port === b.port && sameAddress(a.address, b.address);
}

/** Build the factory configuration tree. */
export function factoryTree(f: FactoryConfig | undefined): ObjectTree {
  const t = new ObjectTree();
  const records: ResourceRecord[] = [];
  let sec = 0;
  if (f?.bootstrap) records.push(...bootstrapAccountRecords(sec++, f.bootstrap));
  f?.servers?.forEach((s, n) => {
    const r = serverAccountRecords(sec++, n, s);
    records.push(...r.security, ...r.server);
  });
  for (const r of records) t.set(r.path.objectId!, r.path.instanceId!, r.path.resourceId!, r.value);
  return t;
}
