// The LwM2M client's states and what moves it between them, as a table that
// can be read (and tested) without a network: transition(state, input) gives
// the next state, the actions the client carries out, and the clause of the
// Core specification (1.1.1) behind the edge. Inputs carry the facts a guard
// needs (which accounts exist, where a failed sequence came from), so the
// table decides and the client only acts.
import { deepFreeze } from '../../util/freeze';

export type ClientState =
  | 'stopped'
  /** Waiting to send a Bootstrap-Request (Client Hold Off Time, or the back-off after a failure). */
  | 'bootstrap-pending'
  /** A bootstrap sequence is open: only the Bootstrap-Server is served, into a working copy. */
  | 'bootstrapping'
  /** Registering; no LwM2M Server has acknowledged a Registration yet. */
  | 'registering'
  /** At least one LwM2M Server holds a Registration of this client. */
  | 'registered'
  /** Every server failed and no bootstrap may follow; a network change tries again. */
  | 'registration-failed'
  /** No usable LwM2M Server Account and no Bootstrap-Server Account. */
  | 'no-bootstrap-server';

/** Which accounts the running configuration holds when an input is handled. */
export interface Accounts {
  /** At least one LwM2M Server Account (Security + Server instance paired by Short Server ID). */
  servers: boolean;
  /** A Bootstrap-Server Account. */
  bootstrap: boolean;
}

export type ClientInput =
  /** Configuration loaded (start), or a network change after everything had failed. */
  | { type: 'connect'; accounts: Accounts }
  /** Client Hold Off Time or back-off elapsed. */
  | { type: 'bootstrap-due' }
  /** A bootstrap sequence opens: ours (Bootstrap-Request) or the Bootstrap-Server's (its first bootstrap operation). */
  | { type: 'sequence-opened'; origin: 'client' | 'server' }
  /** Bootstrap-Finish accepted and its 2.04 is on the wire. */
  | { type: 'finish-sent' }
  /**
   * No configuration from this attempt: Bootstrap-Request refused or failed, no Finish within the
   * sequence time-out, or the Bootstrap-Server unreachable. `fallback`: a Bootstrap-Request Trigger
   * started it, so the accounts the client had are still good to register with.
   */
  | { type: 'bootstrap-failed'; origin: 'client' | 'server'; fallback: boolean; accounts: Accounts; reason: string }
  | { type: 'server-registered' }
  /** Every registration failed; `fallbackAllowed` from /1/x/16 (Bootstrap on Registration Failure). */
  | { type: 'registrations-failed'; fallbackAllowed: boolean; accounts: Accounts }
  /** Execute /1/x/9 (Bootstrap-Request Trigger). */
  | { type: 'bootstrap-trigger' }
  /** The network came back (Wi-Fi reconnected). */
  | { type: 'network-changed'; accounts: Accounts }
  | { type: 'stop' };

export type ClientAction =
  /** Send Register to every server (Registration Priority Order, Initial Registration Delay). */
  | 'start-registrations'
  /** Stop the servers' timers without telling them (a new configuration replaces them). */
  | 'abandon-registrations'
  /** De-register from every registered server. */
  | 'deregister-all'
  /** Send an Update to every registered server. */
  | 'update-all'
  /** Wait Client Hold Off Time (first attempt) or the back-off, then bootstrap-due. */
  | 'schedule-bootstrap'
  /** One more failed bootstrap attempt: the next wait is a longer back-off. */
  | 'count-attempt'
  /** The Bootstrap-Request Trigger's fallback to the running accounts is used up. */
  | 'end-fallback'
  /** Bootstrap at once, without Client Hold Off Time (the server asked for it). */
  | 'bootstrap-now'
  /** Resolve the Bootstrap-Server and send the Bootstrap-Request. */
  | 'request-bootstrap'
  /** Start the bootstrap sequence time-out (no Bootstrap-Finish within it: the attempt failed). */
  | 'arm-sequence-timeout'
  /** The working copy becomes the running configuration, stored in one commit. */
  | 'commit'
  /** Bootstrap jobs, the bootstrap sequence and every observation end (the De-registers follow). */
  | 'shut-down';

interface Edge {
  from: readonly ClientState[] | '*';
  on: readonly ClientInput['type'][];
  when?: (input: ClientInput) => boolean;
  to: ClientState | 'same';
  actions: readonly ClientAction[];
  /** Enter the new state only once the actions are done (stop: after the De-registers). */
  enterAfterActions?: true;
  clause: string;
}

export interface Transition {
  to: ClientState;
  actions: readonly ClientAction[];
  enterAfterActions: boolean;
  clause: string;
}

const FAILED: readonly ClientState[] = ['registration-failed', 'no-bootstrap-server'];
const BOOTSTRAP: readonly ClientState[] = ['bootstrap-pending', 'bootstrapping'];
const SERVING: readonly ClientState[] = ['registering', 'registered'];

const accountsOf = (i: ClientInput): Accounts => ('accounts' in i ? i.accounts : { servers: false, bootstrap: false });
const failed = (i: ClientInput) => (i.type === 'bootstrap-failed' ? i : undefined);

/** The edges, first match wins. */
export const TRANSITIONS: readonly Edge[] = deepFreeze<Edge[]>([
  // Starting; and after a network change once everything had failed, starting over.
  {
    from: ['stopped'],
    on: ['connect'],
    when: (i) => accountsOf(i).servers,
    to: 'registering',
    actions: ['start-registrations'],
    clause: 'Core §6.1 Bootstrap Sequence: with a usable LwM2M Server Account the client registers',
  },
  {
    from: ['stopped'],
    on: ['connect'],
    when: (i) => accountsOf(i).bootstrap,
    to: 'bootstrap-pending',
    actions: ['schedule-bootstrap'],
    clause: 'Core §6.1 Bootstrap Sequence: otherwise client-initiated bootstrap, after Client Hold Off Time (/0/x/11)',
  },
  {
    from: ['stopped'],
    on: ['connect'],
    to: 'no-bootstrap-server',
    actions: [],
    clause: 'Core §6.1: without any account the client can neither register nor bootstrap',
  },
  {
    from: FAILED,
    on: ['network-changed'],
    when: (i) => accountsOf(i).servers,
    to: 'registering',
    actions: ['start-registrations'],
    clause: 'Core §6.2.1.1: registration is attempted again once the network is back',
  },
  {
    from: FAILED,
    on: ['network-changed'],
    when: (i) => accountsOf(i).bootstrap,
    to: 'bootstrap-pending',
    actions: ['schedule-bootstrap'],
    clause: 'Core §6.1: bootstrap is attempted again once the network is back',
  },

  // Client-initiated bootstrap.
  {
    from: ['bootstrap-pending'],
    on: ['bootstrap-due'],
    to: 'same',
    actions: ['request-bootstrap'],
    clause: 'Core §5.2.7.1 Bootstrap-Request (POST /bs?ep=)',
  },
  {
    from: '*',
    on: ['sequence-opened'],
    to: 'bootstrapping',
    actions: ['abandon-registrations', 'arm-sequence-timeout'],
    clause: 'Core §5.2.7: during a bootstrap sequence only the Bootstrap-Server is served',
  },
  {
    from: ['bootstrapping'],
    on: ['finish-sent'],
    to: 'registering',
    actions: ['commit', 'start-registrations'],
    clause: 'Core §5.2.7.2 Bootstrap-Finish: a consistent configuration is used from now on',
  },
  {
    from: BOOTSTRAP,
    on: ['bootstrap-failed'],
    when: (i) => failed(i)!.origin === 'server' && accountsOf(i).servers,
    to: 'registering',
    actions: ['start-registrations'],
    clause: 'Core §6.1 Server-Initiated Bootstrap: a failed sequence leaves the running accounts in use',
  },
  {
    from: BOOTSTRAP,
    on: ['bootstrap-failed'],
    when: (i) => failed(i)!.fallback && accountsOf(i).servers,
    to: 'registering',
    actions: ['end-fallback', 'start-registrations'],
    clause: 'Core §E.2 /1/x/9 Bootstrap-Request Trigger: the configuration the client had stays usable',
  },
  {
    from: BOOTSTRAP,
    on: ['bootstrap-failed'],
    when: (i) => accountsOf(i).bootstrap,
    to: 'bootstrap-pending',
    actions: ['count-attempt', 'schedule-bootstrap'],
    clause: 'Core §6.1: retry the Bootstrap-Request (exponential back-off with jitter)',
  },
  {
    from: BOOTSTRAP,
    on: ['bootstrap-failed'],
    to: 'no-bootstrap-server',
    actions: [],
    clause: 'Core §6.1: the Bootstrap-Server Account is gone',
  },

  // Registration.
  { from: SERVING, on: ['server-registered'], to: 'registered', actions: [], clause: 'Core §6.2.1 Register: 2.01 Created' },
  {
    from: SERVING,
    on: ['registrations-failed'],
    when: (i) => i.type === 'registrations-failed' && i.fallbackAllowed && i.accounts.bootstrap,
    to: 'bootstrap-pending',
    actions: ['abandon-registrations', 'schedule-bootstrap'],
    clause: 'Core §6.2.1.1 Registration Procedure: Bootstrap on Registration Failure (/1/x/16)',
  },
  {
    from: SERVING,
    on: ['registrations-failed'],
    to: 'registration-failed',
    actions: [],
    clause: 'Core §6.2.1.1: no server reachable and no bootstrap fallback',
  },
  {
    from: ['registered'],
    on: ['network-changed'],
    to: 'same',
    actions: ['update-all'],
    clause: 'Core §6.2.2 Update: the client tells its servers its new address',
  },
  {
    from: [...SERVING, 'registration-failed'],
    on: ['bootstrap-trigger'],
    to: 'bootstrap-pending',
    actions: ['deregister-all', 'bootstrap-now'],
    clause: 'Core §E.2 /1/x/9 Bootstrap-Request Trigger: de-register, then bootstrap at once',
  },

  {
    from: '*',
    on: ['stop'],
    to: 'stopped',
    actions: ['shut-down', 'deregister-all'],
    enterAfterActions: true,
    clause: 'Core §6.2.3 De-register when the client stops',
  },
]);

/** The edge `input` takes from `state`, or undefined when the input means nothing there. */
export function transition(state: ClientState, input: ClientInput): Transition | undefined {
  for (const e of TRANSITIONS) {
    if (e.from !== '*' && !e.from.includes(state)) continue;
    if (!e.on.includes(input.type)) continue;
    if (e.when && !e.when(input)) continue;
    return { to: e.to === 'same' ? state : e.to, actions: e.actions, enterAfterActions: e.enterAfterActions === true, clause: e.clause };
  }
  return undefined;
}
