// The Register form a strict server took (Wakaama's server answers the full
// form 4.00) is kept across restarts, per server: after a reboot the first
// Register is the one that server takes, with no 4.00 on the way; another
// server, or the same ssid at another URI, starts from the full form; a server
// that takes the full form again is forgotten. In virtual time on the
// in-memory network, with the configuration in a record store on RAM flash.
import assert from 'node:assert/strict';
import { CoapEndpoint, type IncomingRequest, type ResponseSpec } from '../../firmware/coap/endpoint';
import { Code } from '../../firmware/coap/message';
import { storePersistence } from '../../firmware/lwm2m/engine/persistence';
import { FORM_1_0, FORM_FULL, FORM_NO_ROOT, FORM_ONE_CT } from '../../firmware/lwm2m/registration/register-fallback';
import { MAX_REMEMBERED, RegisterForms, decodeRegisterForms, encodeRegisterForms } from '../../firmware/lwm2m/registration/register-forms';
import { parseServerUri } from '../../firmware/lwm2m/registration/server-uri';
import { silentLogger } from '../../firmware/platform/ports';
import { RecordStore } from '../../firmware/store/record-store';
import { utf8Decode } from '../../firmware/util/utf8';
import { MemoryFlash } from '../support/memory-flash';
import { openRig, type Rig } from '../support/rig';

interface Register {
  query: string[];
  payload: string;
  code: number;
}

/** A server that takes one `ct` value only, as Wakaama's does: the full form gets 4.00. */
function wakaamaLike(rig: Rig, address = '127.0.0.60') {
  rig.servers[0].close();
  const ep = new CoapEndpoint({ transport: rig.net!.bind(address, 5683), timers: rig.clock!, random: rig.random, log: silentLogger });
  const registers: Register[] = [];
  let onlyFull = false;
  ep.onRequest = (req: IncomingRequest): ResponseSpec => {
    if (req.method === Code.DELETE) return { code: Code.DELETED };
    if (req.method !== Code.POST || req.path[0] !== 'rd') return { code: Code.NOT_FOUND };
    if (req.path.length > 1) return { code: Code.CHANGED };
    const payload = utf8Decode(req.payload);
    const ct = /^<\/>;[^,]*ct=("[^"]*"|[^;,]*)/.exec(payload)?.[1];
    const full = ct !== undefined && ct.startsWith('"');
    const code = (onlyFull ? full : ct === undefined || ct === '110') ? Code.CREATED : Code.BAD_REQUEST;
    registers.push({ query: req.query, payload, code });
    return code === Code.CREATED ? { code, locationPath: ['rd', 'w1'] } : { code };
  };
  return {
    registers,
    takeOnlyTheFullForm: () => {
      onlyFull = true;
    },
    close: () => ep.close(),
  };
}

const store = (flash: MemoryFlash) => storePersistence(RecordStore.mount(flash, { log: silentLogger }), silentLogger);

describe('Register forms kept across restarts', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  async function boot(flash: MemoryFlash, uri = 'coap://127.0.0.60:5683') {
    rig.client?.halt();
    rig.client = rig.newClient({ factory: { servers: [{ uri, ssid: 7, lifetime: 300 }] }, persistence: store(flash) });
    rig.client.start();
    const before = rig.count('registered');
    await rig.expect(() => rig.count('registered') > before, 'registration', 200_000);
  }

  it('after a reboot the first Register is the form the server took, with no 4.00 on the way', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    const flash = new MemoryFlash({ byteLength: 16384 });
    const s = wakaamaLike(rig);
    await boot(flash);
    assert.deepEqual(
      s.registers.map((r) => r.code),
      [Code.BAD_REQUEST, Code.CREATED],
      'the first boot finds the form',
    );
    await boot(flash);
    assert.deepEqual(
      s.registers.slice(2).map((r) => r.code),
      [Code.CREATED],
      'the second boot sends it at once',
    );
    assert.ok(s.registers[2].payload.startsWith('</>;rt="oma.lwm2m";ct=110,'), s.registers[2].payload);
    assert.equal(rig.client.registeredServers[0].registerForm, FORM_ONE_CT);
  });

  it('the same ssid at another URI starts from the full form', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    const flash = new MemoryFlash({ byteLength: 16384 });
    const s = wakaamaLike(rig);
    await boot(flash);
    const other = wakaamaLike(rig, '127.0.0.61');
    await boot(flash, 'coap://127.0.0.61:5683');
    assert.deepEqual(
      other.registers.map((r) => r.code),
      [Code.BAD_REQUEST, Code.CREATED],
    );
    assert.equal(s.registers.length, 2);
  });

  it('a server that now refuses the form it took: the next attempt starts from the full form, which is then kept', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    const flash = new MemoryFlash({ byteLength: 16384 });
    const s = wakaamaLike(rig);
    await boot(flash);
    s.takeOnlyTheFullForm();
    const from = s.registers.length;
    await boot(flash);
    const codes = s.registers.slice(from).map((r) => [r.code, r.payload.split(',')[0]]);
    assert.deepEqual(
      codes.map(([c]) => c),
      [Code.BAD_REQUEST, Code.BAD_REQUEST, Code.BAD_REQUEST, Code.CREATED],
    );
    assert.equal(codes[0][1], '</>;rt="oma.lwm2m";ct=110', 'the remembered form first');
    assert.match(String(codes[3][1]), /^<\/>;rt="oma\.lwm2m";ct="0 42/, 'then, at the next attempt, the full one');
    assert.equal(rig.client.registeredServers[0].registerForm, FORM_FULL);
    const again = s.registers.length;
    await boot(flash);
    assert.deepEqual(
      s.registers.slice(again).map((r) => r.code),
      [Code.CREATED],
      'the full form is what this server takes now',
    );
  });
});

describe('Register forms record', () => {
  const uri = (n: number) => parseServerUri(`coap://192.0.2.${n}:5683`)!;

  it('round-trips, and a damaged record reads as none', () => {
    const entries = [
      { ssid: 1, uri: 'coap://192.0.2.1:5683', form: FORM_ONE_CT },
      { ssid: 65534, uri: 'coaps://[2001:db8::1]:5684', form: FORM_1_0 },
    ];
    const b = encodeRegisterForms(entries);
    assert.deepEqual(decodeRegisterForms(b), entries);
    assert.equal(decodeRegisterForms(b.subarray(0, b.length - 1)), undefined);
    assert.equal(decodeRegisterForms(Uint8Array.of(9, 0)), undefined);
    const bad = b.slice();
    bad[4] = 9;
    assert.equal(decodeRegisterForms(bad), undefined, 'no such form');
  });

  it('keeps at most MAX_REMEMBERED servers, the most recent, and forgets servers the configuration no longer has', () => {
    let saved: Uint8Array | null = null;
    const forms = new RegisterForms(
      {
        load: () => undefined,
        save: () => true,
        loadRegisterForms: () => saved ?? undefined,
        saveRegisterForms: (r) => {
          saved = r;
          return true;
        },
      },
      silentLogger,
    );
    for (let n = 1; n <= MAX_REMEMBERED + 2; n++) forms.accepted(n, uri(n), FORM_NO_ROOT);
    assert.equal(decodeRegisterForms(saved!)!.length, MAX_REMEMBERED);
    assert.equal(forms.formFor(1, uri(1)), FORM_FULL, 'the oldest went');
    assert.equal(forms.formFor(MAX_REMEMBERED + 2, uri(MAX_REMEMBERED + 2)), FORM_NO_ROOT);
    forms.retain([{ ssid: 5, uri: uri(5) }]);
    assert.deepEqual(decodeRegisterForms(saved!), [{ ssid: 5, uri: 'coap://192.0.2.5:5683', form: FORM_NO_ROOT }]);
    forms.accepted(5, uri(5), FORM_FULL);
    assert.equal(saved, null, 'nothing left to keep: the record is deleted');
  });
});
