// Registering with servers that refuse part of what a 1.1 Register says
// (Core §6.2.1): a list in the root link's `ct`, an unknown `ct` value, or
// `lwm2m=1.1` itself. The client steps down to plainer forms at once
// (registration/register-fallback.ts) and keeps the form the server took. Servers here are
// hand-driven endpoints on the in-memory network, in virtual time.
import assert from 'node:assert/strict';
import { CoapEndpoint, type IncomingRequest, type ResponseSpec } from '../../firmware/coap/endpoint';
import { Code } from '../../firmware/coap/message';
import { ContentFormat } from '../../firmware/formats/index';
import {
  FORM_1_0,
  FORM_FULL,
  FORM_NO_ROOT,
  FORM_ONE_CT,
  bindingQuery,
  formLinks,
  formVersion,
  nextForm,
} from '../../firmware/lwm2m/registration/register-fallback';
import { silentLogger } from '../../firmware/platform/ports';
import { utf8Decode } from '../../firmware/util/utf8';
import { openRig, type Rig } from '../support/rig';

const CLIENT_LINKS = '</>;rt="oma.lwm2m";ct="0 42 60 110 112 11542 11543",</1>;ver=1.1,</1/0>,</3/0>';
const OBJECTS = '</1>;ver=1.1,</1/0>,</3/0>';

describe('Register forms (registration/register-fallback.ts)', () => {
  it('a 4.00 steps down one form, a 4.12 goes to LwM2M 1.0, nothing follows the 1.0 form or other codes', () => {
    assert.equal(nextForm(FORM_FULL, Code.BAD_REQUEST, CLIENT_LINKS), FORM_ONE_CT);
    assert.equal(nextForm(FORM_ONE_CT, Code.BAD_REQUEST, CLIENT_LINKS), FORM_NO_ROOT);
    assert.equal(nextForm(FORM_NO_ROOT, Code.BAD_REQUEST, CLIENT_LINKS), FORM_1_0);
    assert.equal(nextForm(FORM_1_0, Code.BAD_REQUEST, CLIENT_LINKS), -1);
    assert.equal(nextForm(FORM_FULL, Code.PRECONDITION_FAILED, CLIENT_LINKS), FORM_1_0);
    assert.equal(nextForm(FORM_ONE_CT, Code.PRECONDITION_FAILED, CLIENT_LINKS), FORM_1_0);
    assert.equal(nextForm(FORM_1_0, Code.PRECONDITION_FAILED, CLIENT_LINKS), -1);
    for (const code of [Code.FORBIDDEN, Code.NOT_FOUND, Code.SERVICE_UNAVAILABLE, Code.INTERNAL_SERVER_ERROR]) {
      assert.equal(nextForm(FORM_FULL, code, CLIENT_LINKS), -1, `after ${code}`);
    }
    // Without a list in ct the one-value form would be the same request: skipped.
    assert.equal(nextForm(FORM_FULL, Code.BAD_REQUEST, '</>;rt="oma.lwm2m";ct=110,</3/0>'), FORM_NO_ROOT);
  });

  it('each form keeps the object links as they are and changes only the root link, lwm2m= and the Queue mode', () => {
    assert.equal(formLinks(CLIENT_LINKS, FORM_FULL), CLIENT_LINKS);
    assert.equal(formLinks(CLIENT_LINKS, FORM_ONE_CT), `</>;rt="oma.lwm2m";ct=110,${OBJECTS}`);
    assert.equal(formLinks('</>;rt="oma.lwm2m";ct="112 11542",</3/0>', FORM_ONE_CT), '</>;rt="oma.lwm2m";ct=112,</3/0>');
    assert.equal(formLinks(CLIENT_LINKS, FORM_NO_ROOT), OBJECTS);
    assert.equal(formLinks(CLIENT_LINKS, FORM_1_0), OBJECTS);
    assert.equal(formLinks(OBJECTS, FORM_NO_ROOT), OBJECTS, 'nothing to drop without a root link');
    assert.deepEqual([FORM_FULL, FORM_ONE_CT, FORM_NO_ROOT, FORM_1_0].map(formVersion), ['1.1', '1.1', '1.1', '1.0']);
    assert.deepEqual(bindingQuery(FORM_FULL, 'UQ'), ['b=U', 'Q']);
    assert.deepEqual(bindingQuery(FORM_1_0, 'UQ'), ['b=UQ']);
    assert.deepEqual(bindingQuery(FORM_1_0, 'U'), ['b=U']);
  });
});

interface Register {
  at: number;
  query: string[];
  payload: string;
}

/**
 * A hand-driven LwM2M Server in place of the rig's first server, that decides
 * each Register by `decide` and answers an Update with `update` (default 2.04).
 */
function strictServer(rig: Rig, decide: (r: Register) => number, update: () => number = () => Code.CHANGED) {
  rig.servers[0].close();
  const ep = new CoapEndpoint({ transport: rig.net!.bind('127.0.0.60', 5683), timers: rig.clock!, random: rig.random, log: silentLogger });
  const registers: Register[] = [];
  const updates: string[][] = [];
  ep.onRequest = (req: IncomingRequest): ResponseSpec => {
    if (req.method !== Code.POST || req.path[0] !== 'rd') return { code: Code.NOT_FOUND };
    if (req.path.length === 1) {
      const r = { at: rig.clock!.now(), query: req.query, payload: utf8Decode(req.payload) };
      registers.push(r);
      const code = decide(r);
      return code === Code.CREATED ? { code, locationPath: ['rd', 's1'] } : { code };
    }
    updates.push(req.query);
    return { code: update() };
  };
  return { ep, registers, updates };
}

/** What a server built on Core 1.1.1's example takes in `ct`: no list, and only formats it knows (as Wakaama's server does). */
function singleCtOnly(r: Register): number {
  const version = r.query.find((q) => q.startsWith('lwm2m='));
  if (version !== 'lwm2m=1.0' && version !== 'lwm2m=1.1') return Code.PRECONDITION_FAILED;
  const ct = /^<\/>;[^,]*ct=("[^"]*"|[^;,]*)/.exec(r.payload)?.[1];
  return ct === undefined || ct === '110' || ct === '11543' ? Code.CREATED : Code.BAD_REQUEST;
}

const lwm2mOf = (r: Register) => r.query.find((q) => q.startsWith('lwm2m='));

describe('registration with strict servers (in-memory network, virtual time)', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  async function start(
    server: {
      uri?: string;
      binding?: string;
      retry?: Partial<Record<'communicationRetryCount' | 'communicationRetryTimer' | 'communicationSequenceRetryCount', number>>;
    } = {},
  ) {
    rig.client = rig.newClient({
      factory: { servers: [{ uri: 'coap://127.0.0.60:5683', ssid: 7, lifetime: 300, binding: server.binding, ...server.retry }] },
    });
    rig.client.start();
  }

  it('a server that takes one ct value only: 4.00 to the list, 2.01 to ct=110 at once; later Registers start with that form', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    let updateAnswer: number = Code.NOT_FOUND;
    const s = strictServer(rig, singleCtOnly, () => updateAnswer);
    await start();
    await rig.expect(() => rig.client.state === 'registered', 'registration');
    assert.equal(s.registers.length, 2);
    const [full, one] = s.registers;
    assert.match(full.payload, /^<\/>;rt="oma\.lwm2m";ct="0 42 60 110 112 11542 11543",/);
    assert.ok(one.payload.startsWith('</>;rt="oma.lwm2m";ct=110,'), one.payload);
    assert.equal(
      one.payload.slice(one.payload.indexOf(',')),
      full.payload.slice(full.payload.indexOf('",') + 1),
      'the objects are the same',
    );
    assert.deepEqual(one.query, full.query, 'still lwm2m=1.1');
    assert.equal(lwm2mOf(one), 'lwm2m=1.1');
    assert.ok(one.at - full.at < 50, `fallback sent at once (${one.at - full.at} ms)`);
    assert.equal(rig.client.registeredServers[0].registerForm, FORM_ONE_CT);
    // The Update (lt=300: at 207 s) finds the registration gone: the next Register goes straight to ct=110.
    await rig.expect(() => s.registers.length === 3, 'a Register after the Update was refused', 210_000);
    updateAnswer = Code.CHANGED;
    await rig.expect(() => rig.client.state === 'registered' && rig.count('registered') === 2, 'registration again');
    assert.equal(s.updates.length, 1);
    assert.ok(s.registers[2].payload.startsWith('</>;rt="oma.lwm2m";ct=110,'), s.registers[2].payload);
    assert.equal(s.registers.length, 3, 'no 4.00 on the way');
  });

  it('a LwM2M 1.0 server answers 4.12 to lwm2m=1.1: the next Register is LwM2M 1.0 with Queue mode in b=, without the root link', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    const s = strictServer(rig, (r) => (lwm2mOf(r) === 'lwm2m=1.0' ? Code.CREATED : Code.PRECONDITION_FAILED));
    await start({ binding: 'UQ' });
    await rig.expect(() => rig.client.state === 'registered', 'registration');
    assert.equal(s.registers.length, 2);
    assert.deepEqual(s.registers[0].query, ['ep=node-1', 'lt=300', 'lwm2m=1.1', 'b=U', 'Q']);
    assert.deepEqual(s.registers[1].query, ['ep=node-1', 'lt=300', 'lwm2m=1.0', 'b=UQ']);
    assert.ok(s.registers[1].payload.startsWith('</1>;ver=1.1,</1/0>'), s.registers[1].payload);
    assert.doesNotMatch(s.registers[1].payload, /<\/>/);
    assert.equal(rig.client.registeredServers[0].registerForm, FORM_1_0);
  });

  it('a server that answers 4.00 to an unknown version walks every form within one attempt and takes the 1.0 one', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    const s = strictServer(rig, (r) => (lwm2mOf(r) === 'lwm2m=1.0' ? Code.CREATED : Code.BAD_REQUEST));
    await start();
    await rig.expect(() => rig.client.state === 'registered', 'registration');
    assert.deepEqual(s.registers.map(lwm2mOf), ['lwm2m=1.1', 'lwm2m=1.1', 'lwm2m=1.1', 'lwm2m=1.0']);
    assert.deepEqual(
      s.registers.map((r) => r.payload.split(',')[0]),
      ['</>;rt="oma.lwm2m";ct="0 42 60 110 112 11542 11543"', '</>;rt="oma.lwm2m";ct=110', '</1>;ver=1.1', '</1>;ver=1.1'],
    );
    assert.ok(s.registers[3].at - s.registers[0].at < 100, 'no retry timer in between');
    assert.equal(rig.count('registration-failed'), 0);
  });

  it('a server that refuses every form: each attempt of the retry procedure starts again from the full form, then registration fails', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    const s = strictServer(rig, () => Code.BAD_REQUEST);
    await start({ retry: { communicationRetryCount: 2, communicationRetryTimer: 30, communicationSequenceRetryCount: 1 } });
    await rig.expect(() => rig.has('registration-failed'), 'registration failure', 120_000);
    assert.equal(s.registers.length, 8, 'two attempts of four forms');
    assert.deepEqual(s.registers.map(lwm2mOf), [...Array(3).fill('lwm2m=1.1'), 'lwm2m=1.0', ...Array(3).fill('lwm2m=1.1'), 'lwm2m=1.0']);
    assert.match(s.registers[4].payload, /^<\/>;rt="oma\.lwm2m";ct="0 42/);
    const gap = s.registers[4].at - s.registers[3].at;
    assert.ok(gap >= 30_000 && gap < 30_100, `second attempt after the Communication Retry Timer (${gap} ms)`);
  });

  it('our own LwM2M Server takes the full form at the first Register', async () => {
    rig = await openRig({ kind: 'memory', registered: true });
    const regs = rig.wire.filter((w) => w.message.code === Code.POST && w.to === rig.serverAddr[0]);
    assert.equal(regs.length, 1);
    assert.equal(rig.client.registeredServers[0].registerForm, FORM_FULL);
    assert.equal(regs[0].message.options.find((o) => o.number === 12)?.value[0], ContentFormat.LINK_FORMAT);
  });
});
