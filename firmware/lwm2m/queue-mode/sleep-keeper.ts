// The client's side of the retained memory (queue-mode/sleep-state.ts): the state goes
// there when the radio goes off, and is taken back once at boot, if it is
// whole and belongs to the configuration the client starts with. What was
// written is cleared as soon as the radio is on again in the same run: from
// then on the live state moves on (DTLS sequence numbers, Message IDs) and the
// kept one must never be used (a sequence number used twice is a nonce used
// twice under the same CCM key).
import type { Logger, RetainedMemory } from '../../platform/ports';
import type { ObjectTree } from '../objects/object-tree';
import { configFingerprint, decodeSleepState, encodeSleepState, type SleepState } from './sleep-state';

export interface Resumption {
  state: SleepState;
  /** How long the device slept, ms. */
  sleptMs: number;
}

export class SleepKeeper {
  private pending: Resumption | undefined;
  private written = false;

  constructor(
    private readonly retained: RetainedMemory,
    private readonly endpointName: string,
    private readonly log: Logger,
  ) {}

  /** At boot, with the configuration loaded: reads (and so clears) the retained state; claim() gives it if it fits. */
  take(tree: ObjectTree): void {
    this.pending = undefined;
    const got = this.retained.take();
    if (got === undefined) {
      this.log.info('sleep: no retained state (first boot or power loss): from the flash store, registering');
      return;
    }
    const state = decodeSleepState(got.bytes);
    got.bytes.fill(0);
    if (state === undefined) {
      this.log.warn('sleep: the retained state is damaged or of another version; from the flash store, registering');
      return;
    }
    if (state.fingerprint !== configFingerprint(tree, this.endpointName)) {
      this.log.info('sleep: the retained state belongs to another configuration; registering');
      return;
    }
    this.pending = { state, sleptMs: got.elapsedMs };
  }

  /** The state taken at boot, once. */
  claim(): Resumption | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }

  /** The radio goes off: `state` goes to the retained memory. False when it cannot (too big, no room). */
  retain(state: SleepState): boolean {
    const bytes = encodeSleepState(state, this.retained.capacity);
    if (bytes === undefined) {
      this.log.warn(
        `sleep: the sleeping state does not fit the ${this.retained.capacity} bytes of retained memory; the next wake registers again`,
      );
      return false;
    }
    const ok = this.retained.write(bytes);
    bytes.fill(0);
    if (!ok) this.log.warn('sleep: the retained memory refused the sleeping state; the next wake registers again');
    else this.log.debug(`sleep: state kept in retained memory (${bytes.length} bytes)`);
    this.written = ok;
    return ok;
  }

  /** The radio is on again in this run: what was written is stale from now on. */
  awake(): void {
    if (!this.written) return;
    this.written = false;
    this.retained.clear();
  }
}
