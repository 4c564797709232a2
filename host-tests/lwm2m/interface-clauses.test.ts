// The Bootstrap and Registration interfaces clause by clause (OMA LwM2M Core
// 1.1.1, Transport 1.1.1): each test names the clause it pins; all run on the
// in-memory network in virtual time.
import assert from 'node:assert/strict';
import type { RequestOptions } from '../../firmware/coap/api';
import { Code } from '../../firmware/coap/message';
import { ContentFormat, createFormats } from '../../firmware/formats/index';
import { OBJ } from '../../firmware/lwm2m/engine/ids';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { accountRecords } from '../../host/bootstrap-server';
import { openRig, type Rig } from '../support/rig';

/** Test payloads in the default codecs, typed by the built-in definitions. */
const formats = createFormats();

const peerOf = (rig: Rig) => ({ address: rig.clientTransport.address, port: rig.clientTransport.port });
const serverKey = (rig: Rig, i: number) => rig.serverUris[i].slice('coap://'.length).replace(':', '/');

describe('Bootstrap interface, clause by clause', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  // A client-initiated sequence driven by hand; returns a sender to the client.
  async function session(): Promise<(r: RequestOptions) => Promise<{ code: number; payload: Uint8Array } | undefined>> {
    rig = await openRig({ kind: 'memory', bootstrap: 'manual' });
    rig.client = rig.newClient({ factory: { bootstrap: { uri: rig.bsUri } } });
    let requested = false;
    rig.setManualHandler((req) => {
      requested ||= req.path[0] === 'bs';
      return { code: Code.CHANGED };
    });
    rig.client.start();
    assert.ok(await rig.until(() => requested && rig.client.state === 'bootstrapping'));
    return (r) => rig.settle(rig.manualBs!.request(peerOf(rig), r));
  }

  async function writeAccount(send: Awaited<ReturnType<typeof session>>, format: number = ContentFormat.TLV): Promise<void> {
    for (const [oid, records] of accountRecords({ servers: [{ uri: rig.serverUris[0], ssid: 101, lifetime: 300 }] })) {
      const enc = formats.encode(format, { objectId: oid }, records);
      assert.ok(enc.ok);
      assert.equal((await send({ method: Code.PUT, path: [String(oid)], contentFormat: format, payload: enc.value }))?.code, Code.CHANGED);
    }
  }

  it('Core §5.2.7.4: a Bootstrap-Write ignores optional resources the client does not support (Finish 2.04, not 4.06)', async () => {
    const send = await session();
    await writeAccount(send);
    // /1/0/99 is no resource of the Server object: ignored, not stored, not an inconsistency.
    const senml = `[{"bn":"/1/0/","n":"1","v":120},{"n":"99","v":5},{"n":"98","vs":"x"}]`;
    assert.equal(
      (await send({ method: Code.PUT, path: ['1', '0'], contentFormat: ContentFormat.SENML_JSON, payload: utf8Encode(senml) }))?.code,
      Code.CHANGED,
    );
    const fin = await send({ method: Code.POST, path: ['bs'] });
    assert.equal(fin?.code, Code.CHANGED, fin && utf8Decode(fin.payload));
    assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
    assert.equal(rig.client.running.value(OBJ.SERVER, 0, 1), 120);
    assert.equal(rig.client.running.get(OBJ.SERVER, 0, 99), undefined);
    assert.equal(rig.client.running.get(OBJ.SERVER, 0, 98), undefined);
  });

  it('Transport §6.3 codes: Bootstrap-Write to an object or a resource the client has no definition for is 4.00 and changes nothing', async () => {
    const send = await session();
    assert.equal(
      (await send({ method: Code.PUT, path: ['9999', '0', '1'], contentFormat: ContentFormat.TEXT, payload: utf8Encode('1') }))?.code,
      Code.BAD_REQUEST,
    );
    assert.equal(
      (
        await send({
          method: Code.PUT,
          path: ['9999'],
          contentFormat: ContentFormat.SENML_JSON,
          payload: utf8Encode('[{"n":"/9999/0/1","v":1}]'),
        })
      )?.code,
      Code.BAD_REQUEST,
    );
    assert.equal(
      (await send({ method: Code.PUT, path: ['1', '0', '99'], contentFormat: ContentFormat.TEXT, payload: utf8Encode('1') }))?.code,
      Code.BAD_REQUEST,
    );
    const d = await send({ method: Code.GET, path: [], accept: ContentFormat.LINK_FORMAT });
    assert.doesNotMatch(utf8Decode(d!.payload), /9999|<\/1\/0>/);
  });

  it('Core §5.2.7.3: Bootstrap-Discover of /0 leads with the enabler version; the Bootstrap-Server instance has uri but no ssid', async () => {
    const send = await session();
    await writeAccount(send);
    const d = await send({ method: Code.GET, path: ['0'], accept: ContentFormat.LINK_FORMAT });
    assert.equal(d?.code, Code.CONTENT);
    const text = utf8Decode(d!.payload);
    assert.match(text, /^<\/>;lwm2m="1\.1",<\/0>;ver=[\d.]+,/);
    assert.match(text, new RegExp(`</0/0>;uri="${rig.bsUri}"(,|$)`));
    assert.match(text, new RegExp(`</0/1>;ssid=101;uri="${rig.serverUris[0]}"`));
    assert.doesNotMatch(text, /<\/1/, 'only the targeted object');
  });

  it('Core §5.2.3.2: outside a sequence, a Bootstrap-Finish (4.00) or a non-bootstrap request (4.05) from the Bootstrap-Server leaves the registrations alone', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'manual' });
    rig.client = rig.newClient({
      factory: { bootstrap: { uri: rig.bsUri }, servers: [{ uri: rig.serverUris[0], ssid: 1, lifetime: 300 }] },
    });
    rig.setManualHandler(() => ({ code: Code.CHANGED }));
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered'));
    const c = rig.manualBs!;
    assert.equal((await rig.settle(c.request(peerOf(rig), { method: Code.POST, path: ['bs'] })))?.code, Code.BAD_REQUEST);
    assert.equal((await rig.settle(c.request(peerOf(rig), { method: Code.POST, path: ['1', '0', '8'] })))?.code, Code.METHOD_NOT_ALLOWED);
    assert.equal(rig.client.state, 'registered');
    await rig.advance(300_000);
    assert.equal(rig.serverEvents[0].filter((e) => e.type === 'registered').length, 1, 'no re-registration');
    assert.equal(rig.client.registeredServers.length, 1);
  });

  it('Core §E.2 /1/x/9: the Bootstrap-Request Trigger de-registers before the Bootstrap-Request', async () => {
    rig = await openRig({ kind: 'memory' });
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered'));
    assert.equal((await rig.settle(rig.servers[0].execute('node-1', '/1/0/9')))?.code, '2.04');
    assert.ok(await rig.until(() => rig.count('bootstrap-finished') === 2 && rig.client.state === 'registered', 20_000));
    const seq = rig.requests().filter((r) => /^(POST \/bs\?|DELETE \/rd|POST \/rd\?)/.test(r));
    assert.deepEqual(seq, [
      'POST /bs?ep=node-1',
      'POST /rd?ep=node-1&lt=300&lwm2m=1.1&b=U',
      'DELETE /rd/1',
      'POST /bs?ep=node-1',
      'POST /rd?ep=node-1&lt=300&lwm2m=1.1&b=U',
    ]);
    assert.ok(rig.has('deregistered'));
  });

  it('a triggered bootstrap that fails (Bootstrap-Server answers 4.00) returns to the running server accounts instead of leaving the device unmanaged', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'manual' });
    rig.client = rig.newClient({
      factory: { bootstrap: { uri: rig.bsUri }, servers: [{ uri: rig.serverUris[0], ssid: 1, lifetime: 300 }] },
    });
    rig.setManualHandler(() => ({ code: Code.BAD_REQUEST }));
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered'));
    assert.equal((await rig.settle(rig.servers[0].execute('node-1', '/1/0/9')))?.code, '2.04');
    assert.ok(await rig.until(() => rig.has('bootstrap-aborted')));
    assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000), `state ${rig.client.state}`);
    assert.equal(rig.serverEvents[0].filter((e) => e.type === 'registered').length, 2);
    assert.equal(rig.requests().filter((r) => r.startsWith('POST /bs')).length, 1, 'one Bootstrap-Request, no retry loop');
  });
});

describe('Registration interface, clause by clause', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  it('Core §E.2 /1/x/13 + /1/x/14: servers register in Registration Priority Order, each Initial Registration Delay after the previous one registered', async () => {
    rig = await openRig({ kind: 'memory', servers: 2 });
    rig.bs!.config.endpoints['node-1'].writes = [
      { path: '/1/0/13', value: 2 },
      { path: '/1/0/14', value: 30 },
      { path: '/1/1/13', value: 1 },
      { path: '/1/1/14', value: 5 },
    ];
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.registeredServers.length === 2, 120_000));
    const finishAt = rig.wire.find((w) => w.message.code === Code.POST && w.message.options.length === 1)!.at; // POST /bs (Finish) has only Uri-Path
    const reg = (i: number) => rig.wire.find((w) => w.to === serverKey(rig, i) && w.message.code === Code.POST)!;
    const ack = (i: number) => rig.wire.find((w) => w.from === serverKey(rig, i) && w.message.code === Code.CREATED)!;
    assert.ok(reg(1).at < reg(0).at, 'priority 1 (ssid 102) first');
    assert.ok(reg(1).at - finishAt >= 5_000 && reg(1).at - finishAt < 5_100, `first Register ${reg(1).at - finishAt} ms after Finish`);
    assert.ok(
      reg(0).at - ack(1).at >= 30_000 && reg(0).at - ack(1).at < 30_100,
      `second Register ${reg(0).at - ack(1).at} ms after the first 2.01`,
    );
  });

  for (const block of [true, false]) {
    it(`Core §E.2 /1/x/15 = ${block}: a failed registration ${block ? 'blocks' : 'does not block'} the servers after it in the order`, async () => {
      rig = await openRig({ kind: 'memory', servers: 2 });
      const cfg = rig.bs!.config.endpoints['node-1'];
      cfg.servers[0] = {
        uri: 'coap://127.0.0.99:5683',
        ssid: 101,
        lifetime: 300,
        communicationRetryCount: 1,
        communicationSequenceRetryCount: 1,
        bootstrapOnRegistrationFailure: false,
      };
      cfg.servers[1].bootstrapOnRegistrationFailure = false;
      cfg.writes = [
        { path: '/1/0/13', value: 1 },
        { path: '/1/0/15', value: block },
        { path: '/1/1/13', value: 2 },
      ];
      rig.client.start();
      assert.ok(await rig.until(() => rig.count('registration-failed') >= 1, 200_000));
      await rig.advance(120_000);
      const toSecond = rig.requests((w) => w.to === serverKey(rig, 1));
      if (block) {
        assert.deepEqual(toSecond, [], 'blocked: never attempted');
        assert.equal(rig.client.state, 'registration-failed');
        assert.deepEqual(
          rig.events.filter((e) => e.type === 'registration-failed').map((e) => e.type === 'registration-failed' && e.ssid),
          [101, 102],
        );
      } else {
        assert.deepEqual(toSecond, ['POST /rd?ep=node-1&lt=300&lwm2m=1.1&b=U']);
        assert.equal(rig.client.state, 'registered');
        assert.deepEqual(
          rig.client.registeredServers.map((r) => r.ssid),
          [102],
        );
      }
    });
  }

  it('Transport §6.4 / Core §6.2.2: an Update answered 4.04 leads to a new Register (no Update is retried on a lost registration)', async () => {
    rig = await openRig({ kind: 'memory' });
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered'));
    // The server forgets the client: its next Update is answered 4.04.
    rig.servers[0]['byId'].clear();
    rig.servers[0].clients.clear();
    rig.client.registeredServers[0].triggerUpdate();
    assert.ok(await rig.until(() => rig.serverEvents[0].filter((e) => e.type === 'registered').length === 2, 10_000));
    const srv = rig.requests((w) => w.to === serverKey(rig, 0));
    assert.deepEqual(srv, ['POST /rd?ep=node-1&lt=300&lwm2m=1.1&b=U', 'POST /rd/1', 'POST /rd?ep=node-1&lt=300&lwm2m=1.1&b=U']);
    assert.ok(rig.wire.some((w) => w.from === serverKey(rig, 0) && w.message.code === Code.NOT_FOUND));
    assert.equal(rig.client.state, 'registered');
  });
});
