// The LwM2M Servers this client registers with, one Registration each
// (registration/registration.ts), and the rules that tie them together (Core §E.2, Server
// object): Registration Priority Order (/1/x/13) with Initial Registration
// Delay (/1/x/14), Registration Failure Block (/1/x/15), and the verdict when
// every one has failed, with Bootstrap on Registration Failure (/1/x/16).
import type { CoapEndpoint } from '../../coap/endpoint';
import type { Peer } from '../../coap/api';
import type { Logger, Timers } from '../../platform/ports';
import type { ServerAccount } from './accounts';
import { Registration, type KeptRegistration, type RegistrationEvents } from './registration';
import { sameAddress } from './server-uri';

/** What the set reports (one callback for all, so a client pays for one function). */
export type ServerSetReport =
  | { type: 'registered' | 'updated'; reg: Registration }
  /** Registered still, as before a deep sleep (no Register was sent): its observations go on. */
  | { type: 'resumed'; reg: Registration }
  /** One server failed (or was blocked by an earlier one's Registration Failure Block). */
  | { type: 'failed'; reg: Registration }
  /** Every server has failed; `fallbackAllowed`: /1/x/16 of one of them allows bootstrap. */
  | { type: 'all-failed'; fallbackAllowed: boolean };

export interface ServerSetOptions {
  endpoint: CoapEndpoint;
  timers: Timers;
  log: Logger;
  endpointName: string;
  /** Seconds of margin before lifetime expiry for the Update (MAX_TRANSMIT_WAIT). */
  updateMargin: number;
  /** Bound on each De-register, ms (default: CoAP's own). */
  deregisterTimeout?: number;
  /** The Register form each server took before, kept across restarts (registration/register-forms.ts). */
  forms?: {
    formFor(ssid: number, uri: ServerAccount['uri']): number;
    accepted(ssid: number, uri: ServerAccount['uri'], form: number): void;
  };
  /** The Registration payload (the client: Core §6.2.1). */
  links: { objectLinks(): string };
  /** Register in Queue Mode (`Q`, Core §6.2.1) whatever /1/x/7 says (queue-mode/queue-link.ts). */
  queueMode?: boolean;
  report(r: ServerSetReport): void;
}

/** Whether a request comes from this server: by the identity its transport vouches for, else by address. */
export function samePeer(a: Peer, b: Peer): boolean {
  if (a.identity !== undefined && b.identity !== undefined) return a.identity === b.identity;
  return a.port === b.port && sameAddress(a.address, b.address);
}

export class ServerSet implements RegistrationEvents {
  private regs: Registration[] = [];
  /** Servers waiting for their turn in the Registration Priority Order, and the one whose turn it is. */
  private pendingOrder: Registration[] = [];
  private orderHead: Registration | undefined;

  constructor(private readonly o: ServerSetOptions) {}

  get all(): readonly Registration[] {
    return this.regs;
  }

  /** The servers that hold a Registration now. */
  get registered(): Registration[] {
    return this.regs.filter((r) => r.state === 'registered');
  }

  byServerInstance(iid: number | undefined): Registration | undefined {
    return this.regs.find((r) => r.account.serverInstance === iid);
  }

  /**
   * Starts registering to these servers (their addresses resolved): those with
   * a Registration Priority Order one after the other, lowest first, each once
   * the previous one registered or failed, its Initial Registration Delay
   * counted from then; the others at once.
   */
  start(servers: Array<{ account: ServerAccount; peer: Peer }>): void {
    this.regs = servers.map((s) => this.newRegistration(s.account, s.peer));
    if (this.regs.length === 0) {
      this.o.report({ type: 'all-failed', fallbackAllowed: true });
      return;
    }
    this.pendingOrder = this.regs
      .filter((r) => r.account.registrationPriorityOrder !== undefined)
      .sort((a, b) => a.account.registrationPriorityOrder! - b.account.registrationPriorityOrder! || a.ssid - b.ssid);
    for (const r of this.regs) if (r.account.registrationPriorityOrder === undefined) r.start();
    this.advanceOrder();
  }

  /**
   * After a deep sleep: every server registered still, from what each Registration kept (an Update follows when it is
   * due). False, and nothing started, unless every server has a kept registration: then the client registers anew.
   */
  resume(servers: Array<{ account: ServerAccount; peer: Peer }>, kept: readonly KeptRegistration[], sleptMs: number): boolean {
    const pairs = servers.map((s) => ({ s, k: kept.find((k) => k.ssid === s.account.ssid) }));
    if (pairs.length === 0 || pairs.length !== kept.length || pairs.some((p) => p.k === undefined)) return false;
    this.regs = pairs.map((p) => this.newRegistration(p.s.account, p.s.peer));
    this.pendingOrder = [];
    this.orderHead = undefined;
    this.regs.forEach((r, i) => r.resume(pairs[i]!.k!, sleptMs));
    for (const r of this.regs) this.o.report({ type: 'resumed', reg: r });
    return true;
  }

  /** What a deep sleep keeps of every registration; undefined unless every server holds one. */
  keep(): KeptRegistration[] | undefined {
    const kept = this.regs.map((r) => r.keep());
    return kept.length > 0 && kept.every((k) => k !== undefined) ? (kept as KeptRegistration[]) : undefined;
  }

  /** Stops every server's timers without telling it (a new configuration replaces them). */
  abandon(): void {
    for (const r of this.regs) r.abandon();
    this.forget();
  }

  /** Forgets the servers and returns them, so the caller can de-register them. */
  takeAll(): Registration[] {
    const regs = this.regs;
    this.forget();
    return regs;
  }

  updateAll(): void {
    for (const r of this.regs) r.triggerUpdate();
  }

  /** A server's account changed (Write of /1/x): new lifetime or binding go to it in an Update. */
  accountChanged(fresh: readonly ServerAccount[], serverInstance: number | undefined): void {
    for (const r of this.regs) {
      const found = fresh.find((x) => x.serverInstance === serverInstance && x.ssid === r.ssid);
      if (!found) continue;
      const a = this.effective(found);
      const changed = a.lifetime !== r.account.lifetime || a.binding !== r.account.binding;
      Object.assign(r.account, {
        lifetime: a.lifetime,
        binding: a.binding,
        retry: a.retry,
        bootstrapOnRegistrationFailure: a.bootstrapOnRegistrationFailure,
      });
      if (changed) r.triggerUpdate();
    }
  }

  private forget(): void {
    this.regs = [];
    this.pendingOrder = [];
    this.orderHead = undefined;
  }

  private advanceOrder(): void {
    this.orderHead = this.pendingOrder.shift();
    this.orderHead?.start();
  }

  /** When the next Registration Update is due, ms from now (the earliest of the servers'), for a sleeping client. */
  nextUpdateIn(): number | undefined {
    const now = this.o.timers.now();
    let best: number | undefined;
    for (const r of this.regs) {
      const at = r.nextTimerAt;
      if (at !== undefined && (best === undefined || at - now < best)) best = Math.max(0, at - now);
    }
    return best;
  }

  /** The account as this client registers it: with Queue Mode on, the binding carries `Q`. */
  private effective(a: ServerAccount): ServerAccount {
    return this.o.queueMode && !a.binding.includes('Q') ? { ...a, binding: `${a.binding}Q` } : a;
  }

  private newRegistration(account: ServerAccount, peer: Peer): Registration {
    return new Registration({
      endpoint: this.o.endpoint,
      timers: this.o.timers,
      log: this.o.log,
      endpointName: this.o.endpointName,
      account: this.effective(account),
      peer,
      links: this.o.links,
      updateMargin: this.o.updateMargin,
      deregisterTimeout: this.o.deregisterTimeout,
      events: this,
      form: this.o.forms?.formFor(account.ssid, account.uri),
    });
  }

  // RegistrationEvents: what each server's Registration tells the set.

  onRegistered(r: Registration): void {
    this.o.report({ type: 'registered', reg: r });
    if (r === this.orderHead) this.advanceOrder();
  }

  onFormAccepted(r: Registration, form: number): void {
    this.o.forms?.accepted(r.ssid, r.account.uri, form);
  }

  onUpdated(r: Registration): void {
    this.o.report({ type: 'updated', reg: r });
  }

  onFailed(r: Registration): void {
    this.o.report({ type: 'failed', reg: r });
    if (r === this.orderHead) {
      // Registration Failure Block (/1/x/15): the rest of the order is not attempted.
      if (r.account.registrationFailureBlock) {
        for (const b of this.pendingOrder) {
          b.block();
          this.o.report({ type: 'failed', reg: b });
        }
        this.pendingOrder = [];
        this.orderHead = undefined;
      } else this.advanceOrder();
    }
    if (this.regs.every((x) => x.state === 'failed')) {
      this.o.report({ type: 'all-failed', fallbackAllowed: this.regs.some((x) => x.account.bootstrapOnRegistrationFailure) });
    }
  }
}
