// The LwM2M client engine: it carries out the state table of engine/client-states.ts.
// Whatever happens (configuration loaded, a timer, a server's answer, a
// request of the Bootstrap-Server, a network change) becomes a ClientInput;
// the table gives the next state and the actions, which this class performs.
// One CoAP endpoint (one UDP port) serves the Bootstrap-Server and every
// LwM2M Server; an incoming request is routed by who sent it and the state.
//
// Asynchronous work (resolving a host, a Bootstrap-Request, De-registers)
// belongs to the input that started it: each input the table acts on opens a
// new epoch, and work of an older epoch drops its result when it completes.
//
// The routing of requests and the bootstrap sequence's steps stay beside the
// actions they serve, so one edge of the state table reads in one file.
import type { IncomingRequest, Peer, ResponseSpec } from '../../coap/api';
import { factoryTree, type ClientEvent, type ClientOptions } from './client-options';
import { CoapEndpoint } from '../../coap/endpoint';
import { Code, codeString, methodName } from '../../coap/message';
import { exchangeLifetime, maxTransmitWait, resolveParams } from '../../coap/params';
import { createFormats, type ContentFormats } from '../../formats/index';
import { parsePath } from '../../model/path';
import type { Path, Value } from '../../model/types';
import { bootstrapAccount, serverAccounts } from '../registration/accounts';
import { DtlsMux } from '../../dtls/mux';
import { FirmwareUpdate } from '../firmware-update/update';
import { firmwareObject } from '../firmware-update/object';
import type { ApplyLimits } from '../objects/apply';
import { BootstrapJobs } from '../bootstrap/jobs';
import { BootstrapSequence } from '../bootstrap/interface';
import { transition, type Accounts, type ClientAction, type ClientInput, type ClientState } from './client-states';
import type { ConsistencyOptions } from '../bootstrap/consistency';
import { deviceObject, installDevice } from '../objects/device-object';
import { AttributeKeeper } from '../reporting/attribute-keeping';
import { DeviceManagement } from '../dm/device-management';
import type { ObjectSpec } from '../objects/object-api';
import { ObjectRegistry } from '../objects/object-registry';
import { serverObject } from '../objects/server-object';
import { sendTo, setValue, type SendResult } from '../reporting/app-data';
import { OBJ, SECURITY_MODE } from './ids';
import { ObjectTree } from '../objects/object-tree';
import type { Registration } from '../registration/registration';
import { RegisterForms } from '../registration/register-forms';
import { ServerSet, samePeer, type ServerSetReport } from '../registration/server-set';
import { QueueLink } from '../queue-mode/queue-link';
import { SleepKeeper } from '../queue-mode/sleep-keeper';
import { resumeAfterSleep, retainForSleep, type SleepingParts } from '../queue-mode/sleep-retention';
import { registeredServer } from './own-peers';
import type { ServerUri } from '../registration/server-uri';
import { packagePeer, resolvePeer, securePeer } from './peers';
import { objectLinks } from '../registration/object-links';
import { utf8Decode } from '../../util/utf8';

export type { ClientState } from './client-states';
export { factoryTree, type ClientEvent, type ClientOptions, type ConfigPersistence, type FactoryConfig } from './client-options';
export type * from '../objects/object-api';

/** How long a Read waits for a handler's asynchronous value by default, ms (ClientOptions.readTimeout). */
export const DEFAULT_READ_TIMEOUT = 2000;
/** Default bounds of what a Write or Create may add. */
const DEFAULT_LIMITS: ApplyLimits = Object.freeze({ maxInstancesPerObject: 8, maxResourceInstances: 16 });

export class LwM2MClient {
  readonly endpoint: CoapEndpoint;
  /** DTLS for the coaps:// accounts (ClientOptions.dtls); its stats and events. */
  readonly secure: DtlsMux | undefined;
  state: ClientState = 'stopped';
  /** The running configuration and object data. */
  running = new ObjectTree();
  private sequence: BootstrapSequence | undefined;
  private sequenceOrigin: 'client' | 'server' = 'client';
  private bsPeer: Peer | undefined;
  /** The peer of the last request datagram the CoAP stack admitted (serves()), and the Registration it is. */
  private admittedPeer: Peer | undefined;
  private admittedReg: Registration | undefined;
  /** Set by the Bootstrap-Request Trigger: a failed bootstrap then returns to the running accounts. */
  private fallbackToRegistration = false;
  /** Counts the inputs the table acted on; see the note at the top. */
  private epoch = 0;
  private readonly servers: ServerSet;
  private readonly jobs: BootstrapJobs;
  private readonly dm: DeviceManagement;
  /** The servers' Write-Attributes, kept in the store across restarts. */
  private readonly attributeKeeper: AttributeKeeper;
  private readonly limits: ApplyLimits;
  /** Object 5, when ClientOptions.firmware says where images go. */
  readonly firmware: FirmwareUpdate | undefined;
  /** Queue Mode's radio (ClientOptions.queueMode): undefined when the client always listens. */
  readonly queue: QueueLink | undefined;
  /** Queue Mode with retained memory: the registrations, observations and DTLS sessions kept across deep sleeps. */
  private readonly keeper: SleepKeeper | undefined;
  /** The objects served: the client's own (0, 1, 2, 3, and 5 with firmware) and the application's (ClientOptions.objects). */
  readonly objects: ObjectRegistry;
  /** The content formats, typing resources with `objects`' definitions. */
  readonly formats: ContentFormats;
  /** The Register form each strict server took, kept in the store across restarts. */
  private readonly registerForms: RegisterForms;

  constructor(private readonly o: ClientOptions) {
    const params = resolveParams(o.coap?.params);
    this.registerForms = new RegisterForms(o.persistence, o.log);
    this.keeper = o.queueMode?.retained ? new SleepKeeper(o.queueMode.retained, o.endpointName, o.log) : undefined;
    this.queue = o.queueMode
      ? new QueueLink(
          o.transport,
          o.queueMode.awakeMs ?? maxTransmitWait(params),
          {
            timers: o.timers,
            log: o.log,
            nextWake: () => minDefined(this.servers.nextUpdateIn(), this.dm.reporting.nextDueIn()),
            woke: () => {
              this.keeper?.awake();
              this.dm.reporting.flush();
            },
            changed: (on) => this.emit({ type: 'radio', on }),
            sleeping: (next) => this.retainForSleep(next),
          },
          o.queueMode.power,
        )
      : undefined;
    const link = this.queue ?? o.transport;
    this.secure = o.dtls ? new DtlsMux({ ...o.dtls, transport: link, timers: o.timers, random: o.random, log: o.log }) : undefined;
    this.endpoint = new CoapEndpoint({ ...o.coap, transport: this.secure ?? link, timers: o.timers, random: o.random, log: o.log });
    this.endpoint.onRequest = (req) => this.route(req);
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.firmware = o.firmware
      ? new FirmwareUpdate(
          {
            tree: () => this.running,
            changed: (p) => this.dm.notifyChanged(p),
            log: o.log,
            timers: o.timers,
            endpoint: this.endpoint,
            runningVersion: () => o.device?.firmwareVersion ?? '',
            dtls: this.secure !== undefined,
            peerFor: (uri, ssid) => packagePeer(this.running, this.secure, o.resolveHost, uri, ssid),
          },
          o.firmware,
        )
      : undefined;
    this.servers = new ServerSet({
      endpoint: this.endpoint,
      timers: o.timers,
      log: o.log,
      endpointName: o.endpointName,
      updateMargin: maxTransmitWait(params) / 1000,
      links: this,
      queueMode: o.queueMode !== undefined,
      deregisterTimeout: o.deregisterTimeoutMs,
      forms: this.registerForms,
      report: (r) => this.serverReport(r),
    });
    this.objects = new ObjectRegistry(this.objectSpecs(), { log: o.log, changed: (p) => this.dm?.notifyChanged(p) });
    this.formats = createFormats({ tlv: o.tlv, cbor: o.cbor, resolve: this.objects.resolveType });
    // A Block1 body its object's handler takes block by block (a firmware Package) is never reassembled in RAM.
    this.endpoint.streamsBody = (path, method) => (method === Code.PUT || method === Code.POST) && this.dm.streamsBody(path);
    this.endpoint.admission = this; // serves(): the stack takes requests from the client's own peers only
    this.jobs = new BootstrapJobs(
      {
        endpoint: this.endpoint,
        timers: o.timers,
        random: o.random,
        log: o.log,
        endpointName: o.endpointName,
        preferredContentFormat: o.preferredContentFormat,
        retry: o.bootstrapRetry,
        sequenceTimeout: o.bootstrapSequenceTimeout !== undefined ? o.bootstrapSequenceTimeout * 1000 : exchangeLifetime(params),
      },
      (job) => {
        if (job === 'request') void this.dispatch({ type: 'bootstrap-due' });
        else if (job === 'sequence') this.abortSequence('no Bootstrap-Finish in time');
        else this.purgeBootstrapAccount();
      },
    );
    this.dm = new DeviceManagement({
      tree: () => this.running,
      log: o.log,
      objects: this.objects,
      formats: this.formats,
      limits: this.limits,
      changed: (kind, path) => this.dataChanged(kind, path.objectId!, path.instanceId),
      timers: o.timers,
      readTimeout: o.readTimeout ?? DEFAULT_READ_TIMEOUT,
      reporting: o.reporting,
      deferChanges: () => this.queue !== undefined && !this.queue.awake,
    });
    this.attributeKeeper = new AttributeKeeper(this.dm.reporting.attributes, o.persistence, o.log);
  }

  /** The client's own objects on the object seam, then the application's (which may replace them). */
  private objectSpecs(): ObjectSpec[] {
    const o = this.o;
    const own: ObjectSpec[] = [
      { id: OBJ.SECURITY, fixedInstances: true, hidden: true },
      serverObject({
        tree: () => this.running,
        servers: this.servers,
        timers: o.timers,
        log: o.log,
        bootstrapTrigger: () => {
          void this.dispatch({ type: 'bootstrap-trigger' });
        },
        hasBootstrapAccount: () => bootstrapAccount(this.running) !== undefined,
      }),
      { id: OBJ.ACCESS_CONTROL, fixedInstances: true },
      deviceObject({
        tree: () => this.running,
        clock: o.wallClock ?? { epochSeconds: () => 0 },
        info: o.device ?? {},
        changed: (p) => this.dm.notifyChanged(p),
        reboot: () => this.reboot(false),
        factoryReset: () => this.reboot(true),
      }),
    ];
    if (this.firmware) own.push(firmwareObject(this.firmware));
    const app = (o.objects ?? []).map((x): ObjectSpec => (typeof x === 'number' ? { id: x } : x));
    return [...own, ...app];
  }

  private serverReport(r: ServerSetReport): void {
    switch (r.type) {
      case 'registered':
        // A new Registration ends that server's observations (Core §6.2.1).
        this.dm.reporting.dropServer(r.reg.ssid);
        this.emit({ type: 'registered', ssid: r.reg.ssid, location: '/' + r.reg.location.join('/') });
        this.firmware?.registered();
        void this.dispatch({ type: 'server-registered' });
        return;
      case 'resumed':
        this.emit({ type: 'resumed', ssid: r.reg.ssid, location: '/' + r.reg.location.join('/') });
        void this.dispatch({ type: 'server-registered' });
        return;
      case 'updated':
        this.emit({ type: 'updated', ssid: r.reg.ssid });
        return;
      case 'failed':
        this.emit({ type: 'registration-failed', ssid: r.reg.ssid });
        return;
      case 'all-failed':
        if (!r.fallbackAllowed || !bootstrapAccount(this.running))
          this.o.log.error('client: no LwM2M Server reachable and no bootstrap fallback');
        void this.dispatch({ type: 'registrations-failed', fallbackAllowed: r.fallbackAllowed, accounts: this.accounts() });
    }
  }

  /** Whether requests from `peer` are served at all; the CoAP stack asks before it decodes one (engine/own-peers.ts). */
  serves(peer: Peer): boolean {
    // The server is identified here once; route() takes the answer for the same datagram's request.
    const reg = registeredServer(peer, this.servers);
    this.admittedPeer = peer;
    this.admittedReg = reg;
    return reg !== undefined || (this.bsPeer !== undefined && samePeer(peer, this.bsPeer));
  }

  /** The servers that hold a Registration of this client now. */
  get registeredServers(): Registration[] {
    return this.servers.registered;
  }

  /** Load stored configuration (or the factory one) and connect. */
  start(): void {
    this.boot(undefined);
  }

  /** `kept`: the configuration an in-process reboot keeps when nothing is stored. */
  private boot(kept: ObjectTree | undefined): void {
    if (this.state !== 'stopped') return;
    const stored = this.o.persistence?.load() ?? kept;
    this.running = stored ?? factoryTree(this.o.factory);
    this.o.log.info(`client: ${this.o.endpointName} starting from ${stored ? 'stored' : 'factory'} configuration`);
    installDevice(this.running, this.o.device ?? {});
    this.objects.install(this.running);
    this.attributeKeeper.restore(this.running);
    this.registerForms.load();
    this.firmware?.install(this.running);
    this.firmware?.boot();
    this.keeper?.take(this.running);
    void this.resolveBootstrapPeer();
    void this.dispatch({ type: 'connect', accounts: this.accounts() });
  }

  /** Queue Mode: turn the radio on now (a value to report, a wake source); notifications that waited go. */
  wake(why = 'the application asked'): void {
    this.queue?.wake(why);
  }

  /** De-register from every server and stop; the transport stays open (its owner closes it). */
  async stop(): Promise<void> {
    this.queue?.wake('de-register');
    await this.dispatch({ type: 'stop' });
    this.queue?.stop();
    this.endpoint.close();
    this.secure?.detach();
    try {
      this.o.onStopped?.();
    } catch (e) {
      this.o.log.error(`client: onStopped threw: ${(e as Error).message}`);
    }
  }

  /**
   * What a deep sleep does to a client in this process (Node, tests, the bench): everything stops and nothing is
   * sent — no De-register, no close_notify — so the servers keep the registration, the observations and the DTLS
   * session that the retained memory holds for the next client. On a device the deep sleep ends the program instead.
   */
  suspend(): void {
    if (this.state === 'stopped') return;
    this.epoch++;
    this.servers.abandon();
    this.jobs.cancelAll();
    this.sequence = undefined;
    this.endpoint.close();
    this.dm.reporting?.cancelAll();
    this.secure?.abandon();
    this.queue?.stop();
    this.setState('stopped');
  }

  /**
   * What a reset does to the peers: the client goes quiet at once, no
   * De-register (a restart into new firmware, a reboot). The transport stays
   * open (its owner closes it).
   */
  halt(): void {
    if (this.state === 'stopped') return;
    this.epoch++;
    this.servers.abandon();
    this.jobs.cancelAll();
    this.dm.reporting?.cancelAll();
    this.sequence = undefined;
    this.endpoint.close();
    this.secure?.detach();
    this.queue?.stop();
    this.setState('stopped');
  }

  /**
   * Reboot (/3/0/4) or Factory Reset (/3/0/5), once its 2.04 is on the wire.
   * Factory Reset erases the stored configuration and attributes first (the
   * device bootstraps again); Reboot keeps them. The platform's restart
   * (DeviceInfo.reboot) when it has one, else an in-process restart: the
   * client goes quiet as a reset would and starts again.
   */
  private reboot(factory: boolean): void {
    const o = this.o;
    if (factory) {
      const erased = o.persistence?.clear?.() ?? true;
      if (!erased) o.log.error('client: Factory Reset could not erase the stored configuration');
      o.log.info('client: Factory Reset: back to the factory configuration');
    } else {
      o.log.info('client: Reboot');
    }
    if (o.device?.reboot) {
      o.device.reboot();
      return;
    }
    const kept = factory ? undefined : this.running;
    this.quiet();
    this.boot(kept);
  }

  /** What a reset does to the protocol state, without closing the endpoint (an in-process restart reuses it). */
  private quiet(): void {
    this.epoch++;
    this.servers.abandon();
    this.jobs.cancelAll();
    this.dm.reporting?.cancelAll();
    this.sequence = undefined;
    this.secure?.closeSessions();
    this.setState('stopped');
  }

  /** After a network change (Wi-Fi back): send an Update to every server, or start over. */
  networkChanged(): void {
    // Our address may have moved: a DTLS session with a Connection ID goes on as it is (RFC 9146); the others
    // resume (abbreviated handshake) on the next message.
    this.secure?.closeSessions();
    void this.resolveBootstrapPeer();
    void this.dispatch({ type: 'network-changed', accounts: this.accounts() });
  }

  // ------------------------------------------------------- state table

  private accounts(): Accounts {
    return { servers: serverAccounts(this.running).length > 0, bootstrap: bootstrapAccount(this.running) !== undefined };
  }

  /** Hands an input to the table and carries out what it says; resolves when its actions are done. */
  private dispatch(input: ClientInput): Promise<void> {
    const t = transition(this.state, input);
    if (!t) {
      this.o.log.debug(`client: ${input.type} means nothing in state ${this.state}`);
      return Promise.resolve();
    }
    if (t.actions.length > 0 || t.to !== this.state) this.epoch++;
    if (!t.enterAfterActions) this.setState(t.to);
    const done = this.act(t.actions, 0, this.epoch, input);
    if (!t.enterAfterActions) return done;
    return done.then(() => this.setState(t.to));
  }

  /** Runs actions in order; one that returns a promise is awaited before the next. */
  private act(actions: readonly ClientAction[], from: number, epoch: number, input: ClientInput): Promise<void> {
    for (let i = from; i < actions.length; i++) {
      const pending = this.perform(actions[i]!, input, epoch);
      if (pending) return pending.then(() => this.act(actions, i + 1, epoch, input));
    }
    return Promise.resolve();
  }

  private perform(action: ClientAction, input: ClientInput, epoch: number): Promise<void> | undefined {
    switch (action) {
      case 'start-registrations':
        void this.startRegistrations(epoch);
        return undefined;
      case 'abandon-registrations':
        this.servers.abandon();
        return undefined;
      case 'deregister-all':
        return this.deregisterAll();
      case 'update-all':
        this.servers.updateAll();
        return undefined;
      case 'schedule-bootstrap':
        this.scheduleBootstrap(reasonOf(input), false);
        return undefined;
      case 'bootstrap-now':
        this.jobs.attempts = 0;
        this.fallbackToRegistration = true;
        this.scheduleBootstrap('Bootstrap-Request Trigger', true);
        return undefined;
      case 'count-attempt':
        this.jobs.attempts++;
        return undefined;
      case 'end-fallback':
        this.fallbackToRegistration = false;
        this.o.log.warn(`client: triggered bootstrap failed (${reasonOf(input)}); registering with the running configuration`);
        return undefined;
      case 'request-bootstrap':
        void this.requestBootstrap(epoch);
        return undefined;
      case 'arm-sequence-timeout':
        this.jobs.cancelWait();
        this.jobs.armSequenceTimeout();
        return undefined;
      case 'commit':
        this.commitBootstrap();
        return undefined;
      case 'shut-down':
        this.jobs.cancelAll();
        this.dm.reporting?.cancelAll();
        this.sequence = undefined;
        return undefined;
    }
  }

  // -------------------------------------------------------------- routing

  private route(req: IncomingRequest): ResponseSpec | null | Promise<ResponseSpec> {
    if (this.state === 'stopped') return null;
    const fromBs = this.bsPeer !== undefined && samePeer(req.peer, this.bsPeer);
    if (this.sequence) {
      // During bootstrap only the Bootstrap-Server is served (Core §5.2.7).
      if (!fromBs) {
        this.o.log.debug(
          `client: ignored ${methodName(req.method)} /${req.path.join('/')} from ${req.peer.address}:${req.peer.port} during bootstrap`,
        );
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
      this.openSequence('server');
      return this.bootstrapRequest(req);
    }
    const reg = req.peer === this.admittedPeer ? this.admittedReg : registeredServer(req.peer, this.servers);
    if (!reg) {
      // Before its Registration is acknowledged a server is ignored (Core §5.4).
      this.o.log.debug(
        `client: ignored ${methodName(req.method)} /${req.path.join('/')} from an unregistered peer ${req.peer.address}:${req.peer.port}`,
      );
      return null;
    }
    return this.dm.handle(req, reg.ssid);
  }

  private bootstrapRequest(req: IncomingRequest): ResponseSpec {
    const s = this.sequence!;
    this.jobs.armSequenceTimeout();
    const res = s.handle(req);
    this.emit({
      type: 'bootstrap-operation',
      method: req.method === Code.POST ? 'FINISH' : methodName(req.method),
      path: '/' + req.path.join('/'),
      code: codeString(res.code),
    });
    if (s.finished) {
      // Commit once the 2.04 is on its way: the server then knows the configuration is taken.
      return {
        ...res,
        sent: () => {
          if (this.sequence === s) void this.dispatch({ type: 'finish-sent' });
        },
      };
    }
    if (req.method === Code.POST && res.code === Code.NOT_ACCEPTABLE) {
      this.emit({ type: 'bootstrap-finished', ok: false, diagnostic: utf8Decode(res.payload ?? new Uint8Array(0)) });
    }
    return res;
  }

  // ------------------------------------------------------------ bootstrap

  private scheduleBootstrap(reason: string, now: boolean): void {
    const acct = bootstrapAccount(this.running);
    if (!acct) return; // the table only schedules with an account
    const delay = this.jobs.scheduleRequest(acct, now);
    const attempt = this.jobs.attempts + 1;
    this.o.log.info(
      `client: bootstrap (${reason}) ${delay === 0 ? 'now' : `in ${delay.toFixed(1)} s`}${attempt > 1 ? `, attempt ${attempt}` : ''}`,
    );
  }

  private async requestBootstrap(epoch: number): Promise<void> {
    const acct = bootstrapAccount(this.running);
    if (!acct) {
      this.bootstrapFailed('the Bootstrap-Server Account is gone', 'client');
      return;
    }
    const peer = await this.resolve(acct.uri);
    if (epoch !== this.epoch) return;
    if (!peer) {
      this.bootstrapFailed(`cannot resolve ${acct.uri.host}`, 'client');
      return;
    }
    if (!this.securePeer(peer, acct.securityInstance, acct.uri)) {
      this.bootstrapFailed('the Bootstrap-Server Account cannot be used', 'client');
      return;
    }
    this.bsPeer = peer;
    const sequence = this.openSequence('client');
    const uri = `${acct.uri.scheme}://${acct.uri.host}:${acct.uri.port}`;
    this.emit({ type: 'bootstrap-request', uri });
    const failure = await this.jobs.request(peer, uri);
    if (this.sequence !== sequence || failure === undefined) return;
    // No answer, but the server may already be writing (its 2.04 lost): keep going then.
    if (failure.startsWith('Bootstrap-Request failed') && sequence.requests > 0) return;
    this.abortSequence(failure);
  }

  /** What Bootstrap-Finish checks the configuration against (Core §5.2.5); made per sequence, not kept. */
  private consistencyOptions(): ConsistencyOptions {
    return {
      supportedObjects: this.objects.supported,
      definition: (oid) => this.objects.def(oid),
      supportedSecurityModes: new Set(this.o.dtls ? [SECURITY_MODE.PSK, SECURITY_MODE.NOSEC] : [SECURITY_MODE.NOSEC]),
    };
  }

  private openSequence(origin: 'client' | 'server'): BootstrapSequence {
    this.sequenceOrigin = origin;
    this.sequence = new BootstrapSequence(this.running, {
      log: this.o.log,
      objects: this.objects,
      formats: this.formats,
      consistency: this.consistencyOptions(),
      limits: this.limits,
    });
    void this.dispatch({ type: 'sequence-opened', origin });
    return this.sequence;
  }

  /** Drops the working copy: the running configuration is untouched. */
  private abortSequence(reason: string): void {
    if (!this.sequence) return;
    this.sequence = undefined;
    this.jobs.cancelSequenceTimeout();
    const kept = serverAccounts(this.running).length > 0 ? 'the running configuration is kept' : 'no configuration yet';
    this.o.log.warn(`client: bootstrap aborted: ${reason}; ${kept}`);
    this.emit({ type: 'bootstrap-aborted', reason });
    this.bootstrapFailed(reason, this.sequenceOrigin);
  }

  private bootstrapFailed(reason: string, origin: 'client' | 'server'): void {
    void this.dispatch({ type: 'bootstrap-failed', origin, fallback: this.fallbackToRegistration, accounts: this.accounts(), reason });
  }

  private commitBootstrap(): void {
    const config = this.sequence?.finished;
    this.sequence = undefined;
    this.jobs.cancelSequenceTimeout();
    if (!config) return;
    installDevice(config, this.o.device ?? {});
    this.objects.install(config);
    this.firmware?.install(config);
    this.running = config;
    const attributes = this.attributeKeeper.retain(config);
    this.registerForms.retain(serverAccounts(config));
    this.jobs.attempts = 0;
    this.fallbackToRegistration = false;
    const saved = this.persist(attributes);
    this.o.log.info(`client: bootstrap configuration committed${this.o.persistence ? (saved ? ' and stored' : ' (NOT stored)') : ''}`);
    this.emit({ type: 'bootstrap-finished', ok: true });
    this.jobs.schedulePurge(bootstrapAccount(this.running)?.accountTimeout ?? 0);
    // The Bootstrap-Server's DTLS session has done its work: free it (close_notify); it resumes if needed.
    if (this.bsPeer) this.secure?.closeSession(this.bsPeer.address, this.bsPeer.port);
    void this.resolveBootstrapPeer();
  }

  // Bootstrap-Server Account Timeout (/0/x/12): the account goes once it has passed.
  private purgeBootstrapAccount(): void {
    const a = bootstrapAccount(this.running);
    if (!a) return;
    this.running.deleteInstance(OBJ.SECURITY, a.securityInstance);
    this.bsPeer = undefined;
    this.persist();
    this.o.log.info('client: Bootstrap-Server Account purged (account timeout)');
  }

  private async resolveBootstrapPeer(): Promise<void> {
    const acct = bootstrapAccount(this.running);
    if (!acct) {
      this.bsPeer = undefined;
      return;
    }
    const p = await this.resolve(acct.uri);
    if (p && this.securePeer(p, acct.securityInstance, acct.uri)) this.bsPeer = p;
  }

  // ---------------------------------------------------------- registration

  private async startRegistrations(epoch: number): Promise<void> {
    this.servers.abandon();
    const resolved: Array<{ account: ReturnType<typeof serverAccounts>[number]; peer: Peer }> = [];
    for (const account of serverAccounts(this.running)) {
      const peer = await this.resolve(account.uri);
      if (epoch !== this.epoch) return;
      if (!peer) {
        this.o.log.error(`client: cannot resolve ${account.uri.host} (ssid=${account.ssid})`);
        continue;
      }
      if (!this.securePeer(peer, account.securityInstance, account.uri)) continue;
      resolved.push({ account, peer });
    }
    // Peers of accounts that are gone stop being secured (and their sessions end).
    this.secure?.retain(this.bsPeer ? [...resolved.map((r) => r.peer), this.bsPeer] : resolved.map((r) => r.peer));
    const kept = this.keeper?.claim();
    if (kept && this.keeper && resumeAfterSleep(this.sleepingParts(this.keeper), resolved, kept)) return;
    this.servers.start(resolved);
  }

  // ---------------------------------------------------------- deep sleep

  /** The radio goes off (Queue Mode with retained memory): what a deep sleep keeps goes there (queue-mode/sleep-retention.ts). */
  private retainForSleep(nextWakeMs: number | undefined): boolean {
    if (!this.keeper || this.state !== 'registered' || this.sequence) return false;
    return retainForSleep(this.sleepingParts(this.keeper), nextWakeMs);
  }

  private sleepingParts(keeper: SleepKeeper): SleepingParts {
    return {
      keeper,
      servers: this.servers,
      secure: this.secure,
      endpoint: this.endpoint,
      reporting: this.dm.reporting,
      queue: this.queue,
      running: this.running,
      endpointName: this.o.endpointName,
      log: this.o.log,
    };
  }

  /** De-registers from every server at once; an event for each that was registered. */
  private async deregisterAll(): Promise<void> {
    const regs = this.servers.takeAll();
    for (const r of regs) this.dm.reporting?.dropServer(r.ssid);
    await Promise.all(
      regs.map(async (r) => {
        const was = r.state === 'registered';
        await r.deregister();
        // De-registered: end the DTLS session too (close_notify).
        this.secure?.closeSession(r.peer.address, r.peer.port);
        if (was) this.emit({ type: 'deregistered', ssid: r.ssid });
      }),
    );
  }

  /** Registration payload (Core §6.2.1): root link, then objects and instances; never the Security object. */
  objectLinks(): string {
    return objectLinks(this.objects, this.running);
  }

  // --------------------------------------------------- application data (DM)

  /** The Device Management handler (attributes, observations; for tools and tests). */
  get management(): DeviceManagement {
    return this.dm;
  }

  /** Set a resource value from the application (e.g. a sensor reading); observers are notified as their attributes allow. */
  setValue(path: string | Path, value: Value | Map<number, Value>): boolean {
    return setValue(this.running, this.dm, this.objects, path, value);
  }

  /** A value the application keeps elsewhere changed: re-evaluate observations covering `path`. */
  notifyChanged(path: string | Path): void {
    const p = typeof path === 'string' ? parsePath(path) : path;
    if (p) this.dm.notifyChanged(p);
  }

  /** Send (Core §5.5.3): POST /dp to the server `ssid` with the values under `paths`. */
  send(ssid: number, paths: Array<string | Path>, format?: number): Promise<SendResult> {
    const reg = this.servers.registered.find((r) => r.ssid === ssid);
    return sendTo(
      this.endpoint,
      this.running,
      this.dm,
      reg ? { peer: reg.peer, ssid, serverInstance: reg.account.serverInstance } : undefined,
      paths,
      format,
    );
  }

  // ---------------------------------------------------------- data changes

  private dataChanged(kind: 'write' | 'create' | 'delete', objectId: number, instanceId: number | undefined): void {
    if (objectId === OBJ.SERVER || objectId === OBJ.SECURITY || objectId === OBJ.ACCESS_CONTROL || objectId === OBJ.DEVICE) this.persist();
    if (kind !== 'write') {
      for (const r of this.servers.registered) r.triggerUpdate();
      return;
    }
    // Lifetime or binding changed: tell that server with an Update.
    if (objectId === OBJ.SERVER) this.servers.accountChanged(serverAccounts(this.running), instanceId);
  }

  /** `attributes`: their record, committed with the configuration (a bootstrap commit). */
  private persist(attributes?: Uint8Array | null): boolean {
    if (!this.o.persistence) return false;
    try {
      const ok = this.o.persistence.save(this.running, attributes);
      if (!ok) this.o.log.error('client: configuration could not be stored');
      return ok;
    } catch (e) {
      this.o.log.error(`client: storing configuration failed: ${(e as Error).message}`);
      return false;
    }
  }

  // --------------------------------------------------------------- peers

  private resolve(uri: ServerUri): Promise<Peer | undefined> {
    return resolvePeer(uri, this.o.resolveHost);
  }

  private securePeer(peer: Peer, securityInstance: number, uri: ServerUri): boolean {
    return securePeer(this.running, this.secure, this.o.log, peer, securityInstance, uri);
  }

  private setState(s: ClientState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit({ type: 'state', state: s });
  }

  private emit(e: ClientEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      /* an observer's bug must not break the engine */
    }
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** Why a bootstrap is scheduled, for the log line. */
function reasonOf(input: ClientInput): string {
  switch (input.type) {
    case 'bootstrap-failed':
      return input.reason;
    case 'registrations-failed':
      return 'registration failed';
    default:
      return 'no LwM2M Server Account';
  }
}

// Write, Delete, Discover and Read open a server-initiated sequence; a lone
// Bootstrap-Finish has no sequence to finish (4.00), any other method is not
// a bootstrap operation (4.05).
function opensSequence(req: IncomingRequest): true | ResponseSpec {
  if (req.method === Code.PUT || req.method === Code.DELETE || (req.method === Code.GET && req.observe === undefined)) return true;
  const code = req.method === Code.POST && req.path.length === 1 && req.path[0] === 'bs' ? Code.BAD_REQUEST : Code.METHOD_NOT_ALLOWED;
  return { code };
}
