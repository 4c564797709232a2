// Registration Interface, client side (Core §5.3, §6.2.1): Register, Update,
// De-register for one LwM2M Server Account, with the 1.1 retry procedure
// (Communication Retry Count/Timer, Sequence Delay Timer/Retry Count) and the
// plainer forms of a Register a strict server may need (registration/register-fallback.ts).
import { Code, codeString } from '../../coap/message';
import type { CoapEndpoint } from '../../coap/endpoint';
import { CoapTimeoutError } from '../../coap/errors';
import type { Peer } from '../../coap/api';
import { ContentFormat } from '../../formats/index';
import type { Logger, TimerHandle, Timers } from '../../platform/ports';
import { utf8Encode } from '../../util/utf8';
import type { ServerAccount } from './accounts';
import { FORM_FULL, bindingQuery, formLinks, formName, formVersion, nextForm } from './register-fallback';
import { crc32 } from '../../store/crc';

/**
 * A Registration as a deep sleep keeps it (lwm2m/queue-mode/sleep-state.ts): where the server put it and what it holds, so
 * that the woken client sends an Update, not a Register. Times are ms from the moment the radio went off.
 */
export interface KeptRegistration {
  ssid: number;
  location: string[];
  lifetime: number;
  binding: string;
  /** CRC-32 of the object links the server holds: other links go in the next Update. */
  linksCrc: number;
  /** The form of Register the server took (registration/register-fallback.ts). */
  form: number;
  /** When the Update is due; undefined: none was scheduled. */
  updateIn: number | undefined;
}

/** What the Registration payload is compared by after a sleep (the links themselves are not kept). */
export function linksCrc(links: string): number {
  return crc32(utf8Encode(links));
}

export type RegistrationState = 'idle' | 'registering' | 'registered' | 'failed' | 'deregistered';

export interface RegistrationEvents {
  onRegistered(reg: Registration): void;
  /** All attempts of all sequences failed. */
  onFailed(reg: Registration): void;
  onUpdated?(reg: Registration): void;
  /** A Register was taken in another form than the one it started from (to remember it across restarts). */
  onFormAccepted?(reg: Registration, form: number): void;
}

export interface RegistrationOptions {
  endpoint: CoapEndpoint;
  timers: Timers;
  log: Logger;
  endpointName: string;
  account: ServerAccount;
  peer: Peer;
  /** Link-format object list, rebuilt at each Register / object change. */
  links: { objectLinks(): string };
  /** Seconds of margin before lifetime expiry: MAX_TRANSMIT_WAIT (93 s). */
  updateMargin: number;
  /** The form of Register this server took before (registration/register-forms.ts); default the full form. */
  form?: number;
  /** Bound on a De-register, ms (default: CoAP's own, up to MAX_TRANSMIT_WAIT): a stop does not wait longer for a server that is gone. */
  deregisterTimeout?: number;
  events: RegistrationEvents;
}

export class Registration {
  state: RegistrationState = 'idle';
  location: string[] = [];
  /** Attempts made in the current sequence, and sequences completed. */
  private attempt = 0;
  private sequence = 0;
  private timer: TimerHandle | undefined;
  /** When this registration's next timer (Update, retry) fires, on the client's clock; undefined when none runs. */
  nextTimerAt: number | undefined;
  private registeredLinks = '';
  private registeredLifetime = 0;
  private registeredBinding = '';
  private busy = false;
  private pendingUpdate = false;
  /** The form of the Register in flight, and the one each attempt starts from: the form this server last took. */
  private form: number;
  private acceptedForm: number;
  /** The form last told to onFormAccepted (or given at the start): what is remembered for this server. */
  private toldForm: number;

  constructor(private readonly o: RegistrationOptions) {
    this.form = this.acceptedForm = this.toldForm = o.form ?? FORM_FULL;
  }

  get ssid(): number {
    return this.o.account.ssid;
  }
  get peer(): Peer {
    return this.o.peer;
  }
  get account(): ServerAccount {
    return this.o.account;
  }
  /** The form of Register (registration/register-fallback.ts) this server took, or the one the next attempt starts with. */
  get registerForm(): number {
    return this.acceptedForm;
  }

  start(): void {
    this.state = 'registering';
    this.attempt = 0;
    this.sequence = 0;
    this.schedule(this.o.account.initialRegistrationDelay * 1000, () => this.register());
  }

  /** The registration as a deep sleep keeps it; undefined unless it is registered. */
  keep(): KeptRegistration | undefined {
    if (this.state !== 'registered') return undefined;
    const now = this.o.timers.now();
    return {
      ssid: this.ssid,
      location: [...this.location],
      lifetime: this.registeredLifetime,
      binding: this.registeredBinding,
      linksCrc: linksCrc(this.registeredLinks),
      form: this.acceptedForm,
      updateIn: this.nextTimerAt === undefined ? undefined : Math.max(0, this.nextTimerAt - now),
    };
  }

  /**
   * Registered again without a Register, from what keep() gave before a deep sleep of `sleptMs`: the Update goes
   * when it was due (at once if that passed in the sleep), with the object links if they are not the ones kept.
   */
  resume(k: KeptRegistration, sleptMs: number): void {
    const links = this.o.links.objectLinks();
    this.location = [...k.location];
    this.registeredLifetime = k.lifetime;
    this.registeredBinding = k.binding;
    this.registeredLinks = linksCrc(links) === k.linksCrc ? links : '';
    this.acceptedForm = this.form = k.form;
    this.state = 'registered';
    this.attempt = 0;
    this.sequence = 0;
    const due = k.updateIn === undefined || this.registeredLinks === '' ? 0 : Math.max(0, k.updateIn - sleptMs);
    this.o.log.info(
      `registration: ssid=${this.ssid} still registered at /${this.location.join('/')} (kept across the sleep); update in ${Math.round(due / 1000)} s`,
    );
    this.schedule(due, () => {
      void this.update();
    });
  }

  /** Never attempted: an earlier server in the Registration Priority Order failed with Registration Failure Block (/1/x/15). */
  block(): void {
    this.clearTimer();
    this.state = 'failed';
  }

  /** Stop timers without telling the server (e.g. a new bootstrap replaces the accounts). */
  abandon(): void {
    this.clearTimer();
    this.state = 'idle';
  }

  /** Registration Update Trigger, or a change of lifetime, binding or objects. */
  triggerUpdate(): void {
    if (this.state !== 'registered') return;
    if (this.busy) {
      this.pendingUpdate = true;
      return;
    }
    this.clearTimer();
    void this.update();
  }

  async deregister(): Promise<void> {
    this.clearTimer();
    const wasRegistered = this.state === 'registered';
    this.state = 'deregistered';
    if (!wasRegistered) return;
    const a = this.o.account;
    const bound = this.o.deregisterTimeout;
    this.o.log.info(`registration: de-registering from ssid=${a.ssid} ${a.uri.host}:${a.uri.port}`);
    try {
      const res = await this.o.endpoint.request(this.o.peer, {
        method: Code.DELETE,
        path: this.location,
        ...(bound !== undefined ? { timeout: bound } : {}),
      });
      this.o.log.info(`registration: de-register ssid=${this.ssid} → ${codeString(res.code)}`);
    } catch (e) {
      const why = e instanceof CoapTimeoutError && bound !== undefined ? `no answer within ${bound / 1000} s` : (e as Error).message;
      this.o.log.warn(
        `registration: de-register ssid=${this.ssid} failed: ${why}; the server drops the registration when its lifetime ends`,
      );
    }
  }

  /** One Register; `fallback`: a plainer form of the one just refused, sent at once and not counted as an attempt. */
  private async register(fallback = false): Promise<void> {
    if (this.state !== 'registering') return;
    const a = this.o.account;
    const links = this.o.links.objectLinks();
    if (!fallback) {
      this.attempt++;
      this.form = this.acceptedForm;
    }
    const form = this.form;
    const sent = formLinks(links, form);
    const query = [`ep=${this.o.endpointName}`, `lt=${a.lifetime}`, `lwm2m=${formVersion(form)}`, ...bindingQuery(form, a.binding)];
    const remembered = !fallback && form !== FORM_FULL && this.attempt === 1;
    this.o.log.info(
      `registration: register to ssid=${a.ssid} ${a.uri.host}:${a.uri.port} (attempt ${this.attempt}${form === FORM_FULL ? '' : `, ${formName(form)}${remembered ? ', the form this server took before' : ''}`})`,
    );
    this.busy = true;
    let next = -1;
    try {
      const res = await this.o.endpoint.request(this.o.peer, {
        method: Code.POST,
        path: ['rd'],
        query,
        contentFormat: ContentFormat.LINK_FORMAT,
        payload: utf8Encode(sent),
        onRetransmit: (n, max, wait) =>
          this.o.log.info(
            `registration: no answer from ssid=${a.ssid} yet; Register sent again (${n} of ${max}), waiting ${Math.round(wait / 1000)} s`,
          ),
      });
      if (this.state !== 'registering') return;
      if (res.code === Code.CREATED && res.locationPath.length > 0) {
        this.location = res.locationPath;
        this.registeredLinks = links;
        this.registeredLifetime = a.lifetime;
        this.registeredBinding = a.binding;
        const changed = form !== this.toldForm;
        this.acceptedForm = this.toldForm = form;
        this.state = 'registered';
        this.attempt = 0;
        this.sequence = 0;
        this.o.log.info(`registration: registered ssid=${a.ssid} at /${this.location.join('/')}`);
        this.scheduleUpdate();
        if (changed) this.o.events.onFormAccepted?.(this, form);
        this.o.events.onRegistered(this);
        return;
      }
      next = nextForm(form, res.code, links);
      // Refused down to the plainest form, though it started from one this server took before: the
      // next attempt starts from the full form again (the server may have changed).
      if (next < 0 && this.acceptedForm !== FORM_FULL && (res.code === Code.BAD_REQUEST || res.code === Code.PRECONDITION_FAILED))
        this.acceptedForm = FORM_FULL;
      this.o.log.warn(
        `registration: ssid=${a.ssid} answered ${codeString(res.code)}${next < 0 ? '' : `; registering again with ${formName(next)}`}`,
      );
    } catch (e) {
      if (this.state !== 'registering') return;
      this.o.log.warn(`registration: ssid=${a.ssid} ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
    if (next >= 0) {
      this.form = next;
      void this.register(true);
      return;
    }
    this.retry();
  }

  // Core §6.2.1.1: retry with Communication Retry Timer × 2^(n−1); after
  // Communication Retry Count attempts wait the Sequence Delay Timer; after
  // Sequence Retry Count sequences the registration has failed.
  private retry(): void {
    const r = this.o.account.retry;
    if (this.attempt < r.communicationRetryCount) {
      const delay = r.communicationRetryTimer * 2 ** (this.attempt - 1);
      this.schedule(delay * 1000, () => this.register());
      return;
    }
    this.sequence++;
    this.attempt = 0;
    if (this.sequence < r.communicationSequenceRetryCount) {
      this.schedule(r.communicationSequenceDelayTimer * 1000, () => this.register());
      return;
    }
    this.state = 'failed';
    this.o.log.error(`registration: ssid=${this.ssid} failed after ${r.communicationSequenceRetryCount} sequence(s)`);
    this.o.events.onFailed(this);
  }

  private scheduleUpdate(): void {
    const lt = this.registeredLifetime;
    const delay = Math.max(lt / 2, lt - this.o.updateMargin);
    this.schedule(delay * 1000, () => {
      void this.update();
    });
  }

  private async update(): Promise<void> {
    if (this.state !== 'registered') return;
    const a = this.o.account;
    const query: string[] = [];
    if (a.lifetime !== this.registeredLifetime) query.push(`lt=${a.lifetime}`);
    if (a.binding !== this.registeredBinding) query.push(bindingQuery(this.acceptedForm, a.binding)[0]); // Queue mode is a Register parameter
    const links = this.o.links.objectLinks();
    const sendLinks = links !== this.registeredLinks;
    this.busy = true;
    try {
      const res = await this.o.endpoint.request(this.o.peer, {
        method: Code.POST,
        path: this.location,
        query,
        ...(sendLinks ? { contentFormat: ContentFormat.LINK_FORMAT, payload: utf8Encode(formLinks(links, this.acceptedForm)) } : {}),
      });
      if (this.state !== 'registered') return;
      if (res.code === Code.CHANGED) {
        this.registeredLifetime = a.lifetime;
        this.registeredBinding = a.binding;
        if (sendLinks) this.registeredLinks = links;
        this.o.log.info(`registration: update ssid=${a.ssid} → 2.04`);
        this.o.events.onUpdated?.(this);
        this.scheduleUpdate();
        if (this.pendingUpdate) {
          this.pendingUpdate = false;
          this.triggerUpdate();
        }
        return;
      }
      this.o.log.warn(`registration: update ssid=${a.ssid} → ${codeString(res.code)}, registering again`);
    } catch (e) {
      if (this.state !== 'registered') return;
      this.o.log.warn(`registration: update ssid=${a.ssid} failed (${(e as Error).message}), registering again`);
    } finally {
      this.busy = false;
    }
    // A failed Update means the registration may be gone (Core §6.2.2): register again.
    this.state = 'registering';
    this.attempt = 0;
    this.sequence = 0;
    void this.register();
  }

  private schedule(ms: number, fn: () => void): void {
    this.clearTimer();
    this.nextTimerAt = this.o.timers.now() + ms;
    this.timer = this.o.timers.setTimeout(() => {
      this.timer = undefined;
      this.nextTimerAt = undefined;
      fn();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      this.o.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.nextTimerAt = undefined;
  }
}
