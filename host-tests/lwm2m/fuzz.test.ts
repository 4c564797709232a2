// Thousands of random but well-formed CoAP requests (random methods, paths,
// queries, formats, payloads) thrown at a client while it bootstraps and while
// it is registered, from a stranger, from the Bootstrap-Server and from the
// LwM2M Server, on the in-memory network in virtual time. Nothing may throw,
// the state stays sane and bounded, and the running configuration changes
// only through a 2.04 Bootstrap-Finish or a DM request of a registered server.
import assert from 'node:assert/strict';
import { Code, encodeMessage, OptionNumber, Type, type CoapOption } from '../../firmware/coap/message';
import { stringOption, uintOption } from '../../firmware/coap/options';
import { ContentFormat, createFormats } from '../../firmware/formats/index';
import { getObjectDef } from '../../firmware/model/objects';
import type { ObjectTree } from '../../firmware/lwm2m/objects/object-tree';
import { utf8Encode } from '../../firmware/util/utf8';
import { SeededRandom } from '../support/seeded-random';
import { openRig, type Rig } from '../support/rig';

/** Test payloads in the default codecs, typed by the built-in definitions. */
const formats = createFormats();

const METHODS = [Code.GET, Code.GET, Code.POST, Code.PUT, Code.PUT, Code.DELETE, Code.FETCH, Code.IPATCH, 0x1f];
const SEGMENTS = [
  'bs',
  'rd',
  'dp',
  '0',
  '0',
  '1',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '9999',
  '65535',
  '65536',
  'x',
  '',
  '-1',
  '1.5',
  '7',
  '10',
  '13',
];
const QUERIES = ['ep=node-1', 'ver=1.1', 'ver=2.0', 'ver=x', 'pmin=1', 'pmax=5', 'gt=3', 'lt=1', 'st=-1', 'epmin=2', 'b=U', 'Q', ''];
const FORMATS = [
  undefined,
  ContentFormat.TEXT,
  ContentFormat.LINK_FORMAT,
  ContentFormat.OPAQUE,
  ContentFormat.CBOR,
  ContentFormat.SENML_JSON,
  ContentFormat.SENML_CBOR,
  ContentFormat.TLV,
  ContentFormat.LWM2M_JSON,
  9999,
];
const GAP_MS = 1500;

interface Source {
  name: string;
  address: string;
  port: number;
  mayChangeConfig: 'never' | 'finish' | 'dm';
}

function snapshot(t: ObjectTree): string {
  const out: string[] = [];
  for (const [oid, insts] of [...t.objects].sort((a, b) => a[0] - b[0])) {
    // The Device object carries live values the client refreshes itself.
    if (oid === 3) continue;
    for (const [iid, res] of [...insts].sort((a, b) => a[0] - b[0])) {
      for (const [rid, v] of [...res].sort((a, b) => a[0] - b[0])) {
        out.push(
          `/${oid}/${iid}/${rid}=${JSON.stringify(v instanceof Map ? [...v] : v instanceof Uint8Array ? [...v] : v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))}`,
        );
      }
    }
  }
  return out.join(' ');
}

function randomPayload(r: SeededRandom, format: number | undefined, path: string[]): Uint8Array {
  const pick = r.int(6);
  if (pick === 0) return new Uint8Array(0);
  if (pick === 1) {
    const b = new Uint8Array(r.int(64));
    for (let i = 0; i < b.length; i++) b[i] = r.int(256);
    return b;
  }
  if (pick === 2) return utf8Encode(String(r.int(100000) - 50000));
  // A well-formed payload of the request's format for a random instance of a known object.
  const oid = [0, 1, 2, 3][r.int(4)];
  const iid = Number(path[1]) >= 0 && Number(path[1]) < 65535 ? Number(path[1]) : r.int(3);
  const records = [
    { path: { objectId: oid, instanceId: iid, resourceId: 0 }, value: oid === 0 ? `coap://127.0.0.${r.int(9)}:5683` : r.int(70000) },
    { path: { objectId: oid, instanceId: iid, resourceId: 1 }, value: oid === 0 ? r.int(2) === 0 : r.int(1000) },
  ];
  const enc = formats.encode(format === undefined || format === 9999 ? ContentFormat.SENML_JSON : format, { objectId: oid }, records);
  return enc.ok ? enc.value : utf8Encode(`[{"n":"/${oid}/${iid}/${r.int(30)}","v":${r.int(9)}}]`);
}

function randomRequest(r: SeededRandom, mid: number): Uint8Array {
  const method = METHODS[r.int(METHODS.length)];
  const depth = r.int(5);
  const path: string[] = [];
  for (let i = 0; i < depth; i++) path.push(SEGMENTS[r.int(SEGMENTS.length)]);
  const options: CoapOption[] = path.map((p) => stringOption(OptionNumber.URI_PATH, p));
  for (let i = r.int(3); i > 0; i--) options.push(stringOption(OptionNumber.URI_QUERY, QUERIES[r.int(QUERIES.length)]));
  const format = FORMATS[r.int(FORMATS.length)];
  if (format !== undefined) options.push(uintOption(OptionNumber.CONTENT_FORMAT, format));
  const accept = FORMATS[r.int(FORMATS.length)];
  if (accept !== undefined && r.int(2) === 0) options.push(uintOption(OptionNumber.ACCEPT, accept));
  if (r.int(6) === 0) options.push(uintOption(OptionNumber.OBSERVE, r.int(2)));
  options.sort((a, b) => a.number - b.number);
  const token = new Uint8Array(r.int(9));
  for (let i = 0; i < token.length; i++) token[i] = r.int(256);
  return encodeMessage({
    type: r.int(4) === 0 ? Type.NON : Type.CON,
    code: method,
    messageId: mid & 0xffff,
    token,
    options,
    payload: randomPayload(r, format, path),
  });
}

async function fuzz(rig: Rig, sources: Source[], count: number, seed: number): Promise<{ answers: number; codes: Map<number, number> }> {
  const r = new SeededRandom(seed);
  const errors: unknown[] = [];
  const onRequest = rig.client.endpoint.onRequest!;
  rig.client.endpoint.onRequest = (req) => {
    try {
      const out = onRequest(req);
      if (out instanceof Promise)
        return out.catch((e) => {
          errors.push(e);
          throw e;
        });
      return out;
    } catch (e) {
      errors.push(e);
      throw e;
    }
  };
  const unhandled = (e: unknown) => errors.push(e);
  process.on('unhandledRejection', unhandled);
  try {
    const to = rig.clientTransport;
    for (let n = 0; n < count; n++) {
      const src = sources[r.int(sources.length)];
      const before = snapshot(rig.client.running);
      const finishes = rig.events.filter((e) => e.type === 'bootstrap-finished' && e.ok).length;
      // Injected as if sent from `src`: its answers go to whatever listens there.
      rig.net!.transmit({ address: src.address, port: src.port } as never, randomRequest(r, n), to.address, to.port);
      // Spaced so the CoAP dedup cache (128 entries × EXCHANGE_LIFETIME) is not the only thing answering (5.03).
      await rig.advance(GAP_MS + r.int(GAP_MS));
      const after = snapshot(rig.client.running);
      if (before !== after) {
        const finished = rig.events.filter((e) => e.type === 'bootstrap-finished' && e.ok).length > finishes;
        assert.ok(
          src.mayChangeConfig === 'dm' || (src.mayChangeConfig === 'finish' && finished),
          `request ${n} from ${src.name} changed the running configuration without a Finish or DM right`,
        );
      }
      assert.ok(
        ['bootstrap-pending', 'bootstrapping', 'registering', 'registered', 'registration-failed', 'no-bootstrap-server'].includes(
          rig.client.state,
        ),
        rig.client.state,
      );
      // Bounds: every object the client keeps has a definition, instances per object are capped.
      for (const [oid, insts] of rig.client.running.objects) {
        assert.ok(getObjectDef(oid) !== undefined && insts.size <= 8, `/${oid} has ${insts.size} instances`);
      }
      assert.ok(rig.clock!.pending < 200, `${rig.clock!.pending} timers pending`);
    }
  } finally {
    process.off('unhandledRejection', unhandled);
    rig.client.endpoint.onRequest = onRequest;
  }
  assert.deepEqual(errors, [], 'no exception escaped the client');
  const from = `${rig.clientTransport.address}/${rig.clientTransport.port}`;
  const answers = rig.wire.filter((w) => w.from === from && w.message.code >= 64);
  const codes = new Map<number, number>();
  for (const w of answers) codes.set(w.message.code, (codes.get(w.message.code) ?? 0) + 1);
  return { answers: answers.length, codes };
}

describe('fuzz: random well-formed CoAP requests against the client (in-memory network, virtual time)', function () {
  this.timeout(60_000);
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  it('while bootstrapping: 3000 requests from a stranger and the Bootstrap-Server', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'manual' });
    rig.client = rig.newClient({ factory: { bootstrap: { uri: rig.bsUri } } });
    rig.setManualHandler((req) => (req.path[0] === 'bs' ? { code: Code.CHANGED } : null));
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'bootstrapping'));
    const stats = await fuzz(
      rig,
      [
        { name: 'stranger', address: '127.0.0.50', port: 5683, mayChangeConfig: 'never' },
        { name: 'Bootstrap-Server', address: rig.bsPeer.address, port: rig.bsPeer.port, mayChangeConfig: 'finish' },
      ],
      3000,
      11,
    );
    // The Bootstrap-Server's half was answered (the stranger's never was), with success and error codes.
    assert.ok(stats.answers > 1000 && stats.answers < 1700, `${stats.answers} answers`);
    assert.ok((stats.codes.get(Code.CHANGED) ?? 0) + (stats.codes.get(Code.DELETED) ?? 0) > 10);
    assert.ok((stats.codes.get(Code.BAD_REQUEST) ?? 0) > 100);
  });

  it('while registered: 2000 requests from a stranger and the LwM2M Server, then 1000 more with the Bootstrap-Server; it recovers to registered', async () => {
    rig = await openRig({ kind: 'memory' });
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered'));
    const [srvAddress, srvPort] = rig.serverUris[0].slice('coap://'.length).split(':');
    const stranger = { name: 'stranger', address: '127.0.0.50', port: 5683, mayChangeConfig: 'never' } as const;
    const server = { name: 'LwM2M Server', address: srvAddress, port: Number(srvPort), mayChangeConfig: 'dm' } as const;
    const dm = await fuzz(rig, [stranger, server, server], 2000, 12);
    assert.ok(dm.answers > 900, `${dm.answers} DM answers`);
    assert.ok((dm.codes.get(Code.CONTENT) ?? 0) > 5, 'some reads succeeded');
    assert.ok(rig.client.state === 'registered' || rig.client.state === 'registering', rig.client.state);
    await fuzz(
      rig,
      [stranger, server, { name: 'Bootstrap-Server', address: rig.bsPeer.address, port: rig.bsPeer.port, mayChangeConfig: 'finish' }],
      1000,
      13,
    );
    // Left alone, the client settles back: an open bootstrap sequence times out (EXCHANGE_LIFETIME)
    // and the registrations resume, or a new configuration bootstraps again.
    assert.ok(await rig.until(() => rig.client.state === 'registered', 4 * 3600_000), `state ${rig.client.state}`);
  });
});
