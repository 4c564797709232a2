// The client's timed bootstrap work, each a named job with its own timer:
// - the wait before a Bootstrap-Request: Client Hold Off Time (/0/x/11) the
//   first time, then an exponential back-off with jitter after each failure;
// - the Bootstrap-Request itself (POST /bs?ep=…[&pct=…], Core §5.2.7.1);
// - the sequence time-out: a sequence without Bootstrap-Finish within it
//   (EXCHANGE_LIFETIME by default) is abandoned, the running configuration kept;
// - the Bootstrap-Server Account purge (/0/x/12 Bootstrap-Server Account
//   Timeout) after a successful bootstrap.
// The jobs report what happened; the client's state table decides what follows.
import { Code, codeString } from '../../coap/message';
import type { CoapEndpoint } from '../../coap/endpoint';
import type { Peer } from '../../coap/api';
import type { Logger, Random, TimerHandle, Timers } from '../../platform/ports';
import type { BootstrapAccount } from '../registration/accounts';

export interface BootstrapJobOptions {
  endpoint: CoapEndpoint;
  timers: Timers;
  random: Random;
  log: Logger;
  endpointName: string;
  /** Sent as `pct=` in the Bootstrap-Request (1.1). */
  preferredContentFormat?: number;
  /** First back-off delay and its cap, seconds. */
  retry?: { initialDelay?: number; maxDelay?: number };
  /** Sequence time-out, ms. */
  sequenceTimeout: number;
}

/**
 * Which job's time came: 'request' (the hold-off or back-off wait is over),
 * 'sequence' (the sequence time-out passed without Bootstrap-Finish), 'purge'
 * (the Bootstrap-Server Account Timeout passed).
 */
export type BootstrapJob = 'request' | 'sequence' | 'purge';

/** Default first back-off and cap, seconds. */
export const BOOTSTRAP_RETRY_INITIAL = 10;
export const BOOTSTRAP_RETRY_MAX = 3600;

export class BootstrapJobs {
  /** Failed attempts since the last success (0: the next wait is Client Hold Off Time). */
  attempts = 0;
  private waitTimer: TimerHandle | undefined;
  private sequenceTimer: TimerHandle | undefined;
  private purgeTimer: TimerHandle | undefined;

  constructor(
    private readonly o: BootstrapJobOptions,
    private readonly due: (job: BootstrapJob) => void,
  ) {}

  /** Waits Client Hold Off Time (first attempt, unless `now`) or the back-off; returns the delay in seconds. */
  scheduleRequest(account: BootstrapAccount, now: boolean): number {
    this.cancelWait();
    const delay = now ? 0 : this.attempts === 0 ? account.clientHoldOffTime : this.backoff(this.attempts);
    this.waitTimer = this.o.timers.setTimeout(() => {
      this.waitTimer = undefined;
      this.due('request');
    }, delay * 1000);
    return delay;
  }

  /** Sends the Bootstrap-Request; resolves with the reason it failed, or undefined when it was accepted. */
  async request(peer: Peer, uri: string): Promise<string | undefined> {
    const query = [`ep=${this.o.endpointName}`];
    if (this.o.preferredContentFormat !== undefined) query.push(`pct=${this.o.preferredContentFormat}`);
    this.o.log.info(`client: Bootstrap-Request to ${uri}`);
    try {
      const res = await this.o.endpoint.request(peer, {
        method: Code.POST,
        path: ['bs'],
        query,
        onRetransmit: (n, max, wait) =>
          this.o.log.info(
            `client: no answer from the Bootstrap-Server yet; Bootstrap-Request sent again (${n} of ${max}), waiting ${Math.round(wait / 1000)} s`,
          ),
      });
      return res.code === Code.CHANGED ? undefined : `Bootstrap-Request answered ${codeString(res.code)}`;
    } catch (e) {
      return `Bootstrap-Request failed: ${(e as Error).message}`;
    }
  }

  /** (Re)starts the sequence time-out; every request of the Bootstrap-Server restarts it. */
  armSequenceTimeout(): void {
    this.cancelSequenceTimeout();
    this.sequenceTimer = this.o.timers.setTimeout(() => {
      this.sequenceTimer = undefined;
      this.due('sequence');
    }, this.o.sequenceTimeout);
  }

  cancelSequenceTimeout(): void {
    if (this.sequenceTimer !== undefined) {
      this.o.timers.clearTimeout(this.sequenceTimer);
      this.sequenceTimer = undefined;
    }
  }

  /** Purges the Bootstrap-Server Account `accountTimeout` seconds from now (0: never). */
  schedulePurge(accountTimeout: number): void {
    this.cancelPurge();
    if (accountTimeout <= 0) return;
    this.purgeTimer = this.o.timers.setTimeout(() => {
      this.purgeTimer = undefined;
      this.due('purge');
    }, accountTimeout * 1000);
  }

  cancelWait(): void {
    if (this.waitTimer !== undefined) {
      this.o.timers.clearTimeout(this.waitTimer);
      this.waitTimer = undefined;
    }
  }

  cancelAll(): void {
    this.cancelWait();
    this.cancelSequenceTimeout();
    this.cancelPurge();
  }

  // Exponential back-off with jitter: initial × 2^(n−1) capped, then a random
  // 50–100 % of it, so a fleet does not retry in lockstep and never spins.
  private backoff(attempt: number): number {
    const initial = this.o.retry?.initialDelay ?? BOOTSTRAP_RETRY_INITIAL;
    const max = this.o.retry?.maxDelay ?? BOOTSTRAP_RETRY_MAX;
    const base = Math.min(max, initial * 2 ** Math.min(attempt - 1, 20));
    return base * (0.5 + 0.5 * this.o.random.float());
  }

  private cancelPurge(): void {
    if (this.purgeTimer !== undefined) {
      this.o.timers.clearTimeout(this.purgeTimer);
      this.purgeTimer = undefined;
    }
  }
}
