// The client's state table on its own, without a network: each edge, its
// guards, its actions and the clause it cites.
import assert from 'node:assert/strict';
import { TRANSITIONS, transition, type Accounts, type ClientInput, type ClientState } from '../../firmware/lwm2m/engine/client-states';

const NONE: Accounts = { servers: false, bootstrap: false };
const SERVERS: Accounts = { servers: true, bootstrap: true };
const BS_ONLY: Accounts = { servers: false, bootstrap: true };
const ALL_STATES: ClientState[] = [
  'stopped',
  'bootstrap-pending',
  'bootstrapping',
  'registering',
  'registered',
  'registration-failed',
  'no-bootstrap-server',
];

function go(state: ClientState, input: ClientInput): [ClientState, string[]] | undefined {
  const t = transition(state, input);
  return t && [t.to, [...t.actions]];
}

describe('client state table (engine/client-states.ts)', () => {
  it('starts by registering with a server account, else bootstraps after Client Hold Off Time, else has nothing to do', () => {
    assert.deepEqual(go('stopped', { type: 'connect', accounts: SERVERS }), ['registering', ['start-registrations']]);
    assert.deepEqual(go('stopped', { type: 'connect', accounts: BS_ONLY }), ['bootstrap-pending', ['schedule-bootstrap']]);
    assert.deepEqual(go('stopped', { type: 'connect', accounts: NONE }), ['no-bootstrap-server', []]);
  });

  it("sends the Bootstrap-Request when the wait is over, opens the sequence, commits once Finish's 2.04 is sent, then registers", () => {
    assert.deepEqual(go('bootstrap-pending', { type: 'bootstrap-due' }), ['bootstrap-pending', ['request-bootstrap']]);
    assert.deepEqual(go('bootstrap-pending', { type: 'sequence-opened', origin: 'client' }), [
      'bootstrapping',
      ['abandon-registrations', 'arm-sequence-timeout'],
    ]);
    assert.deepEqual(go('bootstrapping', { type: 'finish-sent' }), ['registering', ['commit', 'start-registrations']]);
    assert.deepEqual(go('registering', { type: 'server-registered' }), ['registered', []]);
  });

  it('opens a server-initiated sequence from any state the client serves in', () => {
    for (const s of ['registering', 'registered', 'registration-failed'] as ClientState[]) {
      assert.deepEqual(go(s, { type: 'sequence-opened', origin: 'server' })?.[0], 'bootstrapping');
    }
  });

  it('after a failed bootstrap: back to the running accounts when the server started it or the trigger allows it, else retry with a longer back-off', () => {
    const failed = (origin: 'client' | 'server', fallback: boolean, accounts: Accounts): ClientInput => ({
      type: 'bootstrap-failed',
      origin,
      fallback,
      accounts,
      reason: 'x',
    });
    assert.deepEqual(go('bootstrapping', failed('server', false, SERVERS)), ['registering', ['start-registrations']]);
    assert.deepEqual(go('bootstrapping', failed('client', true, SERVERS)), ['registering', ['end-fallback', 'start-registrations']]);
    assert.deepEqual(go('bootstrapping', failed('client', false, SERVERS)), ['bootstrap-pending', ['count-attempt', 'schedule-bootstrap']]);
    assert.deepEqual(go('bootstrap-pending', failed('client', false, BS_ONLY)), [
      'bootstrap-pending',
      ['count-attempt', 'schedule-bootstrap'],
    ]);
    assert.deepEqual(
      go('bootstrapping', failed('server', false, BS_ONLY)),
      ['bootstrap-pending', ['count-attempt', 'schedule-bootstrap']],
      'nothing to fall back on',
    );
    assert.deepEqual(go('bootstrapping', failed('client', false, NONE)), ['no-bootstrap-server', []]);
  });

  it('falls back to bootstrap when every registration failed and /1/x/16 allows it; stops trying otherwise', () => {
    assert.deepEqual(go('registering', { type: 'registrations-failed', fallbackAllowed: true, accounts: SERVERS }), [
      'bootstrap-pending',
      ['abandon-registrations', 'schedule-bootstrap'],
    ]);
    assert.deepEqual(go('registered', { type: 'registrations-failed', fallbackAllowed: false, accounts: SERVERS }), [
      'registration-failed',
      [],
    ]);
    assert.deepEqual(
      go('registering', { type: 'registrations-failed', fallbackAllowed: true, accounts: { servers: true, bootstrap: false } }),
      ['registration-failed', []],
    );
  });

  it('the Bootstrap-Request Trigger de-registers, then bootstraps at once', () => {
    assert.deepEqual(go('registered', { type: 'bootstrap-trigger' }), ['bootstrap-pending', ['deregister-all', 'bootstrap-now']]);
    assert.equal(go('bootstrapping', { type: 'bootstrap-trigger' }), undefined, 'not while a sequence is open');
  });

  it('a network change updates the servers, or starts over after everything failed, and does nothing while stopped', () => {
    assert.deepEqual(go('registered', { type: 'network-changed', accounts: SERVERS }), ['registered', ['update-all']]);
    assert.deepEqual(go('registration-failed', { type: 'network-changed', accounts: SERVERS }), ['registering', ['start-registrations']]);
    assert.deepEqual(go('no-bootstrap-server', { type: 'network-changed', accounts: BS_ONLY }), [
      'bootstrap-pending',
      ['schedule-bootstrap'],
    ]);
    assert.equal(go('stopped', { type: 'network-changed', accounts: SERVERS }), undefined);
    assert.equal(go('bootstrapping', { type: 'network-changed', accounts: SERVERS }), undefined);
  });

  it('stops from every state, entering "stopped" only after the De-registers', () => {
    for (const s of ALL_STATES) {
      const t = transition(s, { type: 'stop' })!;
      assert.equal(t.to, 'stopped');
      assert.deepEqual([...t.actions], ['shut-down', 'deregister-all']);
      assert.equal(t.enterAfterActions, true);
    }
  });

  it('ignores what means nothing in a state (no edge), e.g. a late Finish or a stale timer', () => {
    assert.equal(transition('registered', { type: 'finish-sent' }), undefined);
    assert.equal(transition('registered', { type: 'bootstrap-due' }), undefined);
    assert.equal(transition('stopped', { type: 'server-registered' }), undefined);
  });

  it('names the Core clause behind every edge, and reaches every state', () => {
    for (const e of TRANSITIONS) assert.match(e.clause, /^Core §[0-9A-Z]/, JSON.stringify(e.on));
    const reached = new Set<ClientState>(['stopped']);
    for (const e of TRANSITIONS) if (e.to !== 'same') reached.add(e.to);
    assert.deepEqual([...reached].sort(), [...ALL_STATES].sort());
    assert.ok(Object.isFrozen(TRANSITIONS) && Object.isFrozen(TRANSITIONS[0]), 'preloaded frozen on the device');
  });
});
