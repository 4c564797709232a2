// Bootstrap flows, each on real loopback UDP and on the in-memory
// network in virtual time.
import assert from 'node:assert/strict';
import { Code } from '../../firmware/coap/message';
import { ContentFormat, createFormats } from '../../firmware/formats';
import { getObjectDef } from '../../firmware/model/objects';
import { OBJ } from '../../firmware/lwm2m/engine/ids';
import type { ObjectTree } from '../../firmware/lwm2m/objects/object-tree';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { accountRecords } from '../../host/bootstrap-server';
import { openRig, type Rig, type RigKind } from '../support/rig';

/** Test payloads in the default codecs, typed by the built-in definitions. */
const formats = createFormats();

function snapshot(t: ObjectTree): string {
  const o: Record<string, unknown> = {};
  for (const [oid, insts] of [...t.objects].sort((a, b) => a[0] - b[0])) {
    for (const [iid, res] of [...insts].sort((a, b) => a[0] - b[0])) {
      for (const [rid, v] of [...res].sort((a, b) => a[0] - b[0])) {
        o[`/${oid}/${iid}/${rid}`] = v instanceof Map ? [...v] : v instanceof Uint8Array ? [...v] : v;
      }
    }
  }
  return JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

const KIND_NAMES: Record<RigKind, string> = {
  udp: 'loopback UDP',
  memory: 'in-memory network, virtual time',
  lossy: 'in-memory network, 30 % loss, 10 % duplication, virtual time',
};

for (const kind of ['udp', 'memory', 'lossy'] as RigKind[]) {
  describe(`bootstrap flows (${KIND_NAMES[kind]})`, function () {
    let rig: Rig;
    afterEach(async () => {
      await rig?.close();
    });

    it('LightweightM2M-1.1-int-0: Request → Writes /0 /1 → Discover / → Finish, exact sequence and Discover payload', async () => {
      rig = await openRig({ kind });
      rig.bs!.config.deleteFirst = false;
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000), `state ${rig.client.state}`);
      const bs = `${rig.bsPeer.address}/${rig.bsPeer.port}`;
      const seq = rig.requests((w) => w.to === bs || w.from === bs);
      assert.deepEqual(seq, ['POST /bs?ep=node-1', 'PUT /0', 'PUT /1', 'GET /', 'POST /bs']);
      const steps = rig.bsEvents.filter((e) => e.type === 'step');
      assert.deepEqual(
        steps.map((e) => e.type === 'step' && `${e.operation} ${e.code}`),
        ['Write 2.04', 'Write 2.04', 'Discover 2.05', 'Finish 2.04'],
      );
      const discover = steps[2].type === 'step' ? steps[2].detail : '';
      const v = (o: number) => getObjectDef(o)!.version;
      const expected =
        `</>;lwm2m="1.1",</0>;ver=${v(0)},</0/0>;uri="${rig.bsUri}",</0/1>;ssid=101;uri="${rig.serverUris[0]}",` +
        `</1>;ver=${v(1)},</1/0>;ssid=101,</2>;ver=${v(2)},</3>;ver=${v(3)},</3/0>`;
      assert.equal(discover, expected);
      // Then the client registers to the server it was given.
      assert.equal(rig.serverEvents[0][0].type, 'registered');
    });

    for (const format of ['tlv', 'senml-json', 'senml-cbor'] as const) {
      it(`object-level Bootstrap-Write with several instances in ${format} provisions two server accounts`, async () => {
        rig = await openRig({ kind, servers: 2 });
        rig.bs!.config.format = format;
        rig.client.start();
        assert.ok(
          await rig.until(() => rig.client.registeredServers.length === 2, 10_000),
          `registered ${rig.client.registeredServers.length}`,
        );
        const t = rig.client.running;
        assert.deepEqual(t.instanceIds(OBJ.SECURITY), [0, 1, 2]);
        assert.deepEqual(t.instanceIds(OBJ.SERVER), [0, 1]);
        assert.equal(t.value(0, 2, 0), rig.serverUris[1]);
        assert.equal(t.value(0, 2, 10), 102);
        assert.equal(t.value(1, 1, 1), 300);
        assert.equal(rig.serverEvents[0][0].type, 'registered');
        assert.equal(rig.serverEvents[1][0].type, 'registered');
        const puts = rig.wire.filter((w) => w.message.code === Code.PUT);
        assert.ok(
          puts.every((w) => w.message.options.some((o) => o.number === 12)),
          'writes carry Content-Format',
        );
      });
    }

    it('Bootstrap-Delete "/" keeps the Bootstrap-Server Account and removes everything else (int-4)', async () => {
      rig = await openRig({ kind, bootstrap: 'manual' });
      // A client that already holds an old server account and an extra Server instance.
      rig.client = rig.newClient({ factory: { bootstrap: { uri: rig.bsUri }, servers: [{ uri: 'coap://127.0.0.9:5683', ssid: 7 }] } });
      rig.client.start();
      rig.client.running.set(OBJ.SERVER, 5, 0, 55);
      const c = rig.manualBs!;
      const peer = { address: rig.clientTransport.address, port: rig.clientTransport.port };
      // Server-initiated: the Bootstrap-Server talks first.
      const del = await rig.settle(c.request(peer, { method: Code.DELETE, path: [] }));
      assert.equal(del?.code, Code.DELETED);
      assert.equal(rig.client.state, 'bootstrapping');
      const disc = await rig.settle(c.request(peer, { method: Code.GET, path: [], accept: ContentFormat.LINK_FORMAT }));
      const links = utf8Decode(disc!.payload);
      assert.match(links, /<\/0\/0>;uri="coap:\/\/[^"]+"/);
      assert.doesNotMatch(links, /<\/0\/1>|<\/1\/0>|<\/1\/5>/);
      // Deleting the Bootstrap-Server Account by name is refused.
      assert.equal((await rig.settle(c.request(peer, { method: Code.DELETE, path: ['0', '0'] })))?.code, Code.BAD_REQUEST);
      // Write a new account and finish: the old instances stay gone.
      for (const [oid, records] of accountRecords({ servers: [{ uri: rig.serverUris[0], ssid: 101, lifetime: 300 }] })) {
        const enc = formats.encode(ContentFormat.TLV, { objectId: oid }, records);
        assert.ok(enc.ok);
        const r = await rig.settle(
          c.request(peer, {
            method: Code.PUT,
            path: [String(oid)],
            contentFormat: ContentFormat.TLV,
            payload: enc.ok ? enc.value : undefined,
          }),
        );
        assert.equal(r?.code, Code.CHANGED);
      }
      assert.equal((await rig.settle(c.request(peer, { method: Code.POST, path: ['bs'] })))?.code, Code.CHANGED);
      assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
      assert.deepEqual(rig.client.running.instanceIds(OBJ.SECURITY), [0, 1]);
      assert.deepEqual(rig.client.running.instanceIds(OBJ.SERVER), [0]);
      assert.equal(rig.client.running.value(0, 0, 1), true);
      assert.equal(rig.client.running.value(1, 0, 0), 101);
    });

    it('LightweightM2M-1.1-int-9: an inconsistent set is answered 4.06 and the previous configuration stays running', async () => {
      rig = await openRig({ kind, bootstrap: 'manual' });
      rig.client = rig.newClient({
        factory: { bootstrap: { uri: rig.bsUri }, servers: [{ uri: rig.serverUris[0], ssid: 1, lifetime: 300 }] },
      });
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
      const before = snapshot(rig.client.running);
      const c = rig.manualBs!;
      const peer = { address: rig.clientTransport.address, port: rig.clientTransport.port };
      assert.equal((await rig.settle(c.request(peer, { method: Code.DELETE, path: [] })))?.code, Code.DELETED);
      // A Server instance with no Security instance for its ssid: no usable account.
      const srv = formats.encode(ContentFormat.TLV, { objectId: 1, instanceId: 0 }, [
        { path: { objectId: 1, instanceId: 0, resourceId: 0 }, value: 77 },
        { path: { objectId: 1, instanceId: 0, resourceId: 1 }, value: 60 },
        { path: { objectId: 1, instanceId: 0, resourceId: 7 }, value: 'U' },
      ]);
      assert.ok(srv.ok);
      assert.equal(
        (
          await rig.settle(
            c.request(peer, {
              method: Code.PUT,
              path: ['1', '0'],
              contentFormat: ContentFormat.TLV,
              payload: srv.ok ? srv.value : undefined,
            }),
          )
        )?.code,
        Code.CHANGED,
      );
      const fin = await rig.settle(c.request(peer, { method: Code.POST, path: ['bs'] }));
      assert.equal(fin?.code, Code.NOT_ACCEPTABLE);
      assert.match(utf8Decode(fin!.payload), /no LwM2M Server Account/);
      assert.match(utf8Decode(fin!.payload), /\/1\/0: no Security instance with ssid 77/);
      assert.equal(snapshot(rig.client.running), before, 'running configuration untouched');
      // The Bootstrap-Server may delete and start again in the same sequence.
      assert.equal((await rig.settle(c.request(peer, { method: Code.DELETE, path: [] })))?.code, Code.DELETED);
      for (const [oid, records] of accountRecords({ servers: [{ uri: rig.serverUris[0], ssid: 101, lifetime: 120 }] })) {
        const enc = formats.encode(ContentFormat.SENML_JSON, { objectId: oid }, records);
        const r = await rig.settle(
          c.request(peer, {
            method: Code.PUT,
            path: [String(oid)],
            contentFormat: ContentFormat.SENML_JSON,
            payload: enc.ok ? enc.value : undefined,
          }),
        );
        assert.equal(r?.code, Code.CHANGED);
      }
      assert.equal((await rig.settle(c.request(peer, { method: Code.POST, path: ['bs'] })))?.code, Code.CHANGED);
      assert.ok(await rig.until(() => rig.client.registeredServers.length === 1 && rig.client.registeredServers[0].ssid === 101, 10_000));
      assert.equal(rig.client.running.value(1, 0, 1), 120);
    });

    it('our Bootstrap-Server deletes and retries once on 4.06, then reports failure; the client keeps its configuration', async () => {
      rig = await openRig({ kind });
      const cfg = rig.bs!.config;
      // An extra Server instance whose ssid has no Security instance makes every attempt inconsistent.
      cfg.endpoints[rig.endpointName].writes = [{ path: '/1/5/0', value: 999 }];
      rig.client.start();
      assert.ok(await rig.until(() => rig.bsEvents.some((e) => e.type === 'finished'), 20_000));
      const finished = rig.bsEvents.find((e) => e.type === 'finished');
      assert.ok(finished && finished.type === 'finished' && !finished.ok);
      const finishes = rig.bsEvents.filter((e) => e.type === 'step' && e.operation === 'Finish');
      assert.deepEqual(
        finishes.map((e) => e.type === 'step' && e.code),
        ['4.06', '4.06'],
      );
      assert.equal(rig.client.running.instanceIds(OBJ.SERVER).length, 0);
      assert.equal(rig.client.state, 'bootstrapping');
    });
  });
}

describe('bootstrap interface answers', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  async function session() {
    rig = await openRig({ kind: 'memory', bootstrap: 'manual' });
    rig.client = rig.newClient({ factory: { bootstrap: { uri: rig.bsUri } } });
    let requested = false;
    rig.setManualHandler((req) => {
      requested = req.path[0] === 'bs';
      return { code: Code.CHANGED };
    });
    rig.client.start();
    assert.ok(await rig.until(() => requested));
    const peer = { address: rig.clientTransport.address, port: rig.clientTransport.port };
    const c = rig.manualBs!;
    return (req: Parameters<typeof c.request>[1]) => rig.settle(c.request(peer, req));
  }

  it('LightweightM2M-1.1-int-8: Bootstrap-Read is limited to /1 and /2', async () => {
    const send = await session();
    const write = formats.encode(
      ContentFormat.TLV,
      { objectId: 1 },
      accountRecords({ servers: [{ uri: 'coap://127.0.0.5', ssid: 5, lifetime: 99 }] })[1][1],
    );
    assert.equal(
      (await send({ method: Code.PUT, path: ['1'], contentFormat: ContentFormat.TLV, payload: write.ok ? write.value : undefined }))?.code,
      Code.CHANGED,
    );
    const r1 = await send({ method: Code.GET, path: ['1'], accept: ContentFormat.TLV });
    assert.equal(r1?.code, Code.CONTENT);
    const dec = formats.decode(ContentFormat.TLV, r1!.payload, { objectId: 1 });
    assert.ok(dec.ok && dec.value.records.some((r) => r.path.resourceId === 1 && r.value === 99));
    assert.equal((await send({ method: Code.GET, path: ['1', '0'], accept: ContentFormat.SENML_JSON }))?.code, Code.CONTENT);
    assert.equal((await send({ method: Code.GET, path: ['2'] }))?.code, Code.CONTENT);
    assert.equal((await send({ method: Code.GET, path: ['0'] }))?.code, Code.METHOD_NOT_ALLOWED);
    assert.equal((await send({ method: Code.GET, path: ['3'] }))?.code, Code.METHOD_NOT_ALLOWED);
    assert.equal((await send({ method: Code.GET, path: ['1', '0', '1'] }))?.code, Code.BAD_REQUEST);
    assert.equal((await send({ method: Code.GET, path: ['1', '9'] }))?.code, Code.NOT_FOUND);
  });

  it('answers 4.00 / 4.15 / 4.05 for bad Bootstrap-Writes and leaves the working copy alone', async () => {
    const send = await session();
    assert.equal(
      (await send({ method: Code.PUT, path: ['1', '0'], contentFormat: 9999, payload: utf8Encode('x') }))?.code,
      Code.UNSUPPORTED_CONTENT_FORMAT,
    );
    assert.equal(
      (await send({ method: Code.PUT, path: ['1', '0'], contentFormat: ContentFormat.TLV, payload: Uint8Array.of(0xc8, 0x00, 0x09, 1) }))
        ?.code,
      Code.BAD_REQUEST,
    );
    assert.equal(
      (await send({ method: Code.PUT, path: ['1', 'x'], contentFormat: ContentFormat.TEXT, payload: utf8Encode('1') }))?.code,
      Code.BAD_REQUEST,
    );
    assert.equal(
      (await send({ method: Code.PUT, path: ['1', '0', '1', '0'], contentFormat: ContentFormat.TEXT, payload: utf8Encode('1') }))?.code,
      Code.BAD_REQUEST,
    );
    assert.equal(
      (
        await send({
          method: Code.PUT,
          path: ['1', '0', '1'],
          query: ['ver=2.0'],
          contentFormat: ContentFormat.TEXT,
          payload: utf8Encode('1'),
        })
      )?.code,
      Code.BAD_REQUEST,
    );
    assert.equal(
      (
        await send({
          method: Code.PUT,
          path: ['1', '0', '1'],
          query: ['ver=1.1'],
          contentFormat: ContentFormat.TEXT,
          payload: utf8Encode('60'),
        })
      )?.code,
      Code.CHANGED,
    );
    assert.equal((await send({ method: Code.POST, path: ['1', '0', '8'] }))?.code, Code.METHOD_NOT_ALLOWED);
    assert.equal((await send({ method: Code.DELETE, path: ['1', '0', '1'] }))?.code, Code.BAD_REQUEST);
    assert.equal((await send({ method: Code.GET, path: ['3', '0'], accept: ContentFormat.LINK_FORMAT }))?.code, Code.BAD_REQUEST);
    const d = await send({ method: Code.GET, path: ['1'], accept: ContentFormat.LINK_FORMAT });
    assert.equal(d?.code, Code.CONTENT);
    // Core §5.2.7.3: the enabler version leads a Discover of "/o" too.
    assert.equal(utf8Decode(d!.payload), `</>;lwm2m="1.1",</1>;ver=${getObjectDef(1)!.version},</1/0>`);
  });
});
