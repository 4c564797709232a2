// Device Management operations against the project's LwM2M Server over real
// loopback UDP, named after the OMA ETS interoperability cases where one applies.
import assert from 'node:assert/strict';
import { Code } from '../../firmware/coap/message';
import { ContentFormat, createFormats } from '../../firmware/formats';
import { formatPath } from '../../firmware/model/path';
import { utf8Encode } from '../../firmware/util/utf8';
import { linkList, openDm, P, rec, values } from './helpers';
import type { Rig } from '../support/rig';

describe('dm: Device Management operations over loopback UDP', function () {
  let h: Rig;
  const ep = () => h.endpointName;

  beforeEach(async () => {
    h = await openDm({ kind: 'udp', client: { objects: [6] } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('LightweightM2M-1.1-int-201: Querying basic information in Plain Text format', async () => {
    for (const [p, v] of [
      ['/3/0/0', 'xs-lwm2m'],
      ['/3/0/1', 'dm-test'],
      ['/3/0/2', 'S-1'],
    ]) {
      const r = await h.server.read(ep(), p, ContentFormat.TEXT);
      assert.equal(r.code, '2.05');
      assert.equal(r.contentFormat, ContentFormat.TEXT);
      assert.equal(r.text, v);
    }
  });

  it('LightweightM2M-1.1-int-203: Querying basic information in TLV format', async () => {
    const r = await h.server.read(ep(), '/3/0', ContentFormat.TLV);
    assert.equal(r.code, '2.05');
    assert.equal(r.contentFormat, ContentFormat.TLV);
    const v = values(r);
    assert.equal(v['/3/0/0'], 'xs-lwm2m');
    assert.equal(v['/3/0/3'], '1.2.3');
    assert.equal(v['/3/0/11/0'], 0);
    assert.equal(v['/3/0/16'], 'U');
  });

  it('LightweightM2M-1.1-int-204: Querying basic information in JSON format', async () => {
    const r = await h.server.read(ep(), '/3/0', ContentFormat.LWM2M_JSON);
    assert.equal(r.code, '2.05');
    assert.equal(r.contentFormat, ContentFormat.LWM2M_JSON);
    assert.equal(values(r)['/3/0/1'], 'dm-test');
  });

  it('LightweightM2M-1.1-int-205: Setting basic information in Plain Text format', async () => {
    for (const [p, v] of [
      ['/1/0/2', 101],
      ['/1/0/3', 1010],
      ['/1/0/5', 2000],
    ] as const) {
      assert.equal((await h.server.write(ep(), p, v, { format: ContentFormat.TEXT })).code, '2.04');
      const r = await h.server.read(ep(), p, ContentFormat.TEXT);
      assert.equal(r.text, String(v));
    }
    // Step 2: the instance read in TLV shows the new values.
    const v = values(await h.server.read(ep(), '/1/0', ContentFormat.TLV));
    assert.deepEqual([v['/1/0/2'], v['/1/0/3'], v['/1/0/5']], [101, 1010, 2000]);
    // Step 3: back to the configuration values.
    for (const [p, x] of [
      ['/1/0/2', 1],
      ['/1/0/3', 10],
      ['/1/0/5', 86400],
    ] as const) {
      assert.equal((await h.server.write(ep(), p, x, { format: ContentFormat.TEXT })).code, '2.04');
    }
    const w = values(await h.server.read(ep(), '/1/0', ContentFormat.TLV));
    assert.deepEqual([w['/1/0/2'], w['/1/0/3'], w['/1/0/5']], [1, 10, 86400]);
  });

  it('LightweightM2M-1.1-int-211: Querying basic information in CBOR format', async () => {
    for (const [p, v, hex] of [
      ['/1/0/0', 101, '1865'],
      ['/1/0/6', false, 'f4'],
      ['/1/0/7', 'U', '6155'],
    ] as const) {
      const r = await h.server.read(ep(), p, ContentFormat.CBOR);
      assert.equal(r.code, '2.05', p);
      assert.equal(r.contentFormat, ContentFormat.CBOR);
      assert.equal(Buffer.from(r.payload!).toString('hex'), hex, `${p} is one plain CBOR item`);
      assert.equal(values(r)[p], v);
    }
    // Plain CBOR carries one value: an instance or a whole multiple resource needs SenML CBOR.
    assert.equal((await h.server.read(ep(), '/1/0', ContentFormat.CBOR)).code, '4.06');
    assert.equal((await h.server.read(ep(), '/3/0/11', ContentFormat.CBOR)).code, '4.06');
    assert.equal(values(await h.server.read(ep(), '/3/0/11/0', ContentFormat.CBOR))['/3/0/11/0'], 0);
  });

  it('LightweightM2M-1.1-int-212: Setting basic information in CBOR format', async () => {
    for (const [p, v] of [
      ['/1/0/2', 101],
      ['/1/0/3', 1010],
      ['/1/0/6', true],
    ] as const) {
      assert.equal((await h.server.write(ep(), p, v, { format: ContentFormat.CBOR })).code, '2.04', p);
    }
    // Read /1/0 in the format the client prefers (no Accept).
    const res = await h.server.endpoint.request(h.server.clients.get(ep())!.peer, { method: Code.GET, path: ['1', '0'] });
    assert.equal(res.code, Code.CONTENT);
    const dec = createFormats().decode(res.contentFormat!, res.payload, P('/1/0'));
    assert.ok(dec.ok);
    const v = Object.fromEntries(dec.value.records.map((x) => [formatPath(x.path), x.value]));
    assert.deepEqual([v['/1/0/2'], v['/1/0/3'], v['/1/0/6']], [101, 1010, true]);
    // A payload in 60 for a whole instance is refused (4.15), a wrong CBOR type is 4.00, nothing changes.
    const peer = h.server.clients.get(ep())!.peer;
    let r = await h.server.endpoint.request(peer, {
      method: Code.PUT,
      path: ['1', '0'],
      contentFormat: ContentFormat.CBOR,
      payload: Uint8Array.of(0x01),
    });
    assert.equal(r.code, Code.UNSUPPORTED_CONTENT_FORMAT);
    r = await h.server.endpoint.request(peer, {
      method: Code.PUT,
      path: ['1', '0', '6'],
      contentFormat: ContentFormat.CBOR,
      payload: Uint8Array.of(0x61, 0x55),
    });
    assert.equal(r.code, Code.BAD_REQUEST);
    assert.equal(values(await h.server.read(ep(), '/1/0/6', ContentFormat.CBOR))['/1/0/6'], true);
  });

  it('LightweightM2M-1.1-int-215: Setting basic information in TLV format (partial update, then replace)', async () => {
    const upd = await h.server.write(
      ep(),
      '/1/0',
      [rec('/1/0/2', 101), rec('/1/0/3', 1010), rec('/1/0/5', 2000), rec('/1/0/6', true), rec('/1/0/7', 'U')],
      { format: ContentFormat.TLV, replace: false },
    );
    assert.equal(upd.code, '2.04');
    let v = values(await h.server.read(ep(), '/1/0'));
    assert.deepEqual([v['/1/0/2'], v['/1/0/3'], v['/1/0/5'], v['/1/0/6'], v['/1/0/1']], [101, 1010, 2000, true, 3000]);
    // Replace: writable resources not sent go away, the read-only Short Server ID stays.
    const rep = await h.server.write(ep(), '/1/0', [rec('/1/0/1', 3000), rec('/1/0/6', false), rec('/1/0/7', 'U')], {
      format: ContentFormat.TLV,
      replace: true,
    });
    assert.equal(rep.code, '2.04');
    v = values(await h.server.read(ep(), '/1/0'));
    assert.equal(v['/1/0/0'], 101);
    assert.equal(v['/1/0/2'], undefined);
    assert.equal(v['/1/0/5'], undefined);
    assert.equal(v['/1/0/6'], false);
  });

  it('LightweightM2M-1.1-int-220: Setting basic information in JSON format', async () => {
    const r = await h.server.write(ep(), '/1/0', [rec('/1/0/2', 7), rec('/1/0/6', true)], {
      format: ContentFormat.LWM2M_JSON,
      replace: false,
    });
    assert.equal(r.code, '2.04');
    const v = values(await h.server.read(ep(), '/1/0', ContentFormat.LWM2M_JSON));
    assert.equal(v['/1/0/2'], 7);
    assert.equal(v['/1/0/6'], true);
  });

  it('LightweightM2M-1.1-int-221: Attempt to perform operations on Security', async () => {
    assert.equal((await h.server.read(ep(), '/0/0')).code, '4.01');
    assert.equal((await h.server.write(ep(), '/0/0/0', 'coap://localhost', { format: ContentFormat.TEXT })).code, '4.01');
    assert.equal((await h.server.writeAttributes(ep(), '/0', { pmin: 10 })).code, '4.01');
    assert.equal((await h.server.discover(ep(), '/0')).code, '4.01');
    assert.equal((await h.server.readComposite(ep(), ['/0/0'])).code, '4.01');
  });

  it('LightweightM2M-1.1-int-222: Read on Object', async () => {
    const r1 = await h.server.read(ep(), '/1');
    assert.equal(r1.code, '2.05');
    assert.ok(r1.records!.every((x) => x.path.objectId === 1 && x.path.instanceId === 0));
    assert.equal(values(r1)['/1/0/0'], 101);
    const r3 = await h.server.read(ep(), '/3');
    assert.equal(values(r3)['/3/0/0'], 'xs-lwm2m');
  });

  it('LightweightM2M-1.1-int-223: Read on Object Instance', async () => {
    const r = await h.server.read(ep(), '/1/0');
    assert.equal(r.code, '2.05');
    const v = values(r);
    assert.deepEqual([v['/1/0/0'], v['/1/0/1'], v['/1/0/6'], v['/1/0/7']], [101, 3000, false, 'U']);
  });

  it('LightweightM2M-1.1-int-224: Read on Resource', async () => {
    assert.equal(values(await h.server.read(ep(), '/1/0/1'))['/1/0/1'], 3000);
    assert.equal((await h.server.read(ep(), '/1/0/6', ContentFormat.TEXT)).text, '0');
    assert.equal((await h.server.read(ep(), '/1/0/7', ContentFormat.TEXT)).text, 'U');
    assert.equal((await h.server.read(ep(), '/1/0/0', ContentFormat.TEXT)).text, '101');
    assert.equal((await h.server.read(ep(), '/3/0/16', ContentFormat.TEXT)).text, 'U');
  });

  it('LightweightM2M-1.1-int-225: Read on Resource Instance', async () => {
    const r = await h.server.read(ep(), '/3/0/11/0', ContentFormat.TEXT);
    assert.equal(r.code, '2.05');
    assert.equal(r.text, '0');
    assert.equal((await h.server.read(ep(), '/3/0/6/1', ContentFormat.TEXT)).text, '5');
  });

  it('LightweightM2M-1.1-int-226: Write (Partial Update) on Object Instance', async () => {
    assert.equal((await h.server.write(ep(), '/1/0', [rec('/1/0/1', 60), rec('/1/0/6', true)], { replace: false })).code, '2.04');
    const v = values(await h.server.read(ep(), '/1/0'));
    assert.equal(v['/1/0/1'], 60);
    assert.equal(v['/1/0/6'], true);
    assert.equal(v['/1/0/7'], 'U', 'untouched resource kept');
    assert.ok(await h.until(() => h.server.clients.get(ep())?.lifetime === 60, 3000), 'an Update carries the new lifetime');
    // Step 3: restore in one partial update.
    assert.equal((await h.server.write(ep(), '/1/0', [rec('/1/0/1', 3000), rec('/1/0/6', false)], { replace: false })).code, '2.04');
    assert.ok(await h.until(() => h.server.clients.get(ep())?.lifetime === 3000, 3000));
  });

  it('LightweightM2M-1.1-int-227: Write (replace) on Resource; the new lifetime reaches the server in an Update', async () => {
    assert.equal((await h.server.write(ep(), '/1/0/1', 63)).code, '2.04');
    assert.ok(await h.until(() => h.server.clients.get(ep())?.lifetime === 63, 3000));
    assert.equal(values(await h.server.read(ep(), '/1/0/1'))['/1/0/1'], 63);
  });

  it('LightweightM2M-1.1-int-228: Write on Resource Instance (also on the ACL multiple resource /2/0/2)', async () => {
    // An Access Control instance as a bootstrap would leave it: /2/0/2 is a writable multiple resource.
    h.client.running.set(2, 0, 0, 3);
    h.client.running.set(2, 0, 1, 0);
    h.client.running.set(2, 0, 2, new Map([[101, 1]]));
    h.client.running.set(2, 0, 3, 101);
    assert.equal((await h.server.write(ep(), '/2/0/2/101', 7, { format: ContentFormat.TEXT })).code, '2.04');
    assert.equal((await h.server.read(ep(), '/2/0/2/101', ContentFormat.TEXT)).text, '7');
    assert.equal((await h.server.write(ep(), '/2/0/2/0', 1, { format: ContentFormat.TLV })).code, '2.04');
    assert.deepEqual(values(await h.server.read(ep(), '/2/0/2')), { '/2/0/2/0': 1, '/2/0/2/101': 7 });
  });

  for (const [name, fmt] of [
    ['SenML JSON', ContentFormat.SENML_JSON],
    ['SenML CBOR', ContentFormat.SENML_CBOR],
  ] as const) {
    it(`LightweightM2M-1.1-int-229: Read-Composite Operation (${name})`, async () => {
      const r = await h.server.readComposite(ep(), ['/3', '/1/0'], fmt);
      assert.equal(r.code, '2.05');
      assert.equal(r.contentFormat, fmt);
      const v = values(r);
      assert.equal(v['/3/0/0'], 'xs-lwm2m');
      assert.equal(v['/1/0/0'], 101);
      const r2 = await h.server.readComposite(ep(), ['/1/0/1', '/3/0/11/0'], fmt);
      assert.deepEqual(values(r2), { '/1/0/1': 3000, '/3/0/11/0': 0 });
    });

    it(`LightweightM2M-1.1-int-230: Write-Composite Operation (/1/0 and the ACL /2/0/2, ${name})`, async () => {
      h.client.running.set(2, 0, 0, 3);
      h.client.running.set(2, 0, 1, 0);
      h.client.running.set(2, 0, 3, 101);
      const r = await h.server.writeComposite(
        ep(),
        [rec('/1/0/1', 60), rec('/1/0/6', true), rec('/2/0/2/0', 1), rec('/2/0/2/101', 31)],
        fmt,
      );
      assert.equal(r.code, '2.04');
      const v = values(await h.server.read(ep(), '/1/0'));
      assert.equal(v['/1/0/1'], 60);
      assert.equal(v['/1/0/6'], true);
      assert.deepEqual(values(await h.server.read(ep(), '/2/0/2')), { '/2/0/2/0': 1, '/2/0/2/101': 31 });
    });
  }

  it('LightweightM2M-1.1-int-231: Querying basic information in SenML JSON format', async () => {
    const r = await h.server.read(ep(), '/1', ContentFormat.SENML_JSON);
    assert.equal(r.contentFormat, ContentFormat.SENML_JSON);
    assert.equal(values(r)['/1/0/1'], 3000);
    assert.equal(values(await h.server.read(ep(), '/3/0', ContentFormat.SENML_JSON))['/3/0/2'], 'S-1');
    assert.equal(values(await h.server.read(ep(), '/3/0/16', ContentFormat.SENML_JSON))['/3/0/16'], 'U');
    assert.equal(values(await h.server.read(ep(), '/3/0/11/0', ContentFormat.SENML_JSON))['/3/0/11/0'], 0);
  });

  it('LightweightM2M-1.1-int-232: Querying basic information in SenML CBOR format', async () => {
    const r = await h.server.read(ep(), '/3/0', ContentFormat.SENML_CBOR);
    assert.equal(r.contentFormat, ContentFormat.SENML_CBOR);
    assert.equal(values(r)['/3/0/0'], 'xs-lwm2m');
    const o = await h.server.read(ep(), '/1', ContentFormat.SENML_CBOR);
    assert.equal(o.contentFormat, ContentFormat.SENML_CBOR);
    assert.equal(values(o)['/1/0/1'], 3000);
    assert.equal(values(await h.server.read(ep(), '/3/0/16', ContentFormat.SENML_CBOR))['/3/0/16'], 'U');
    assert.equal(values(await h.server.read(ep(), '/3/0/11/0', ContentFormat.SENML_CBOR))['/3/0/11/0'], 0);
  });

  for (const [id, name, fmt] of [
    ['233', 'SenML CBOR', ContentFormat.SENML_CBOR],
    ['234', 'SenML JSON', ContentFormat.SENML_JSON],
  ] as const) {
    it(`LightweightM2M-1.1-int-${id}: Setting basic information in ${name} format (Server object part)`, async () => {
      assert.equal(
        (await h.server.write(ep(), '/1/0', [rec('/1/0/1', 61), rec('/1/0/6', true)], { format: fmt, replace: false })).code,
        '2.04',
      );
      const v = values(await h.server.read(ep(), '/1/0', fmt));
      assert.equal(v['/1/0/1'], 61);
      assert.equal(v['/1/0/6'], true);
      assert.equal((await h.server.write(ep(), '/1/0/1', 63, { format: fmt })).code, '2.04');
      assert.equal(values(await h.server.read(ep(), '/1/0/1', fmt))['/1/0/1'], 63);
    });
  }

  it('LightweightM2M-1.1-int-235: Read-Composite Operation on root path', async () => {
    const r = await h.server.readComposite(ep(), ['/'], ContentFormat.SENML_JSON);
    assert.equal(r.code, '2.05');
    const v = values(r);
    assert.equal(v['/1/0/0'], 101);
    assert.equal(v['/3/0/0'], 'xs-lwm2m');
    assert.ok(!Object.keys(v).some((k) => k.startsWith('/0/')), 'never the Security object');
  });

  it('LightweightM2M-1.1-int-236: Read-Composite - Partial Presence', async () => {
    const r = await h.server.readComposite(ep(), ['/1/0', '/3/0/11/0', '/3339/0/5522', '/3353/0/6030'], ContentFormat.SENML_CBOR);
    assert.equal(r.code, '2.05');
    const v = values(r);
    assert.equal(v['/1/0/1'], 3000);
    assert.equal(v['/3/0/11/0'], 0);
    assert.ok(Object.keys(v).every((k) => k.startsWith('/1/0/') || k === '/3/0/11/0'));
  });

  it('LightweightM2M-1.1-int-237: Read on Object without specifying Content-Type (TLV by default)', async () => {
    for (const [o, rid, v] of [
      ['1', 0, 101],
      ['3', 0, 'xs-lwm2m'],
    ] as const) {
      const res = await h.server.endpoint.request(h.server.clients.get(ep())!.peer, { method: Code.GET, path: [o] });
      assert.equal(res.code, Code.CONTENT);
      assert.equal(res.contentFormat, ContentFormat.TLV);
      const dec = createFormats().decode(res.contentFormat!, res.payload, P(`/${o}`));
      assert.ok(dec.ok);
      assert.equal(dec.value.records.find((x) => x.path.resourceId === rid)!.value, v);
    }
  });

  it('LightweightM2M-1.1-int-241: Executable Resource: Rebooting the device', async () => {
    const first = h.server.clients.get(ep())!;
    const firstPeer = first.peer;
    assert.equal((await h.server.execute(ep(), '/3/0/4')).code, '2.04');
    assert.ok(await h.until(() => h.rebooted === 1, 2000));
    // The device restarts and registers again (int-101); the server replaces the old registration.
    await h.powerCycle();
    const reg = h.server.clients.get(ep())!;
    assert.notEqual(reg.peer.port, firstPeer.port, 'the registration now points at the restarted client');
    assert.notEqual(reg.id, first.id, 'a new registration (new location) replaced the old one');
    assert.equal(h.server.clients.size, 1);
    assert.ok(!h.serverEvents[0].some((e) => e.type === 'deregistered'), 'a reboot sends no De-register');
    assert.equal((await h.server.read(ep(), '/3/0/0', ContentFormat.TEXT)).text, 'xs-lwm2m', 'the server reaches the new client');
  });

  it('LightweightM2M-1.1-int-256: Write Operation Failure (read-only resource → 4.05, value unchanged)', async () => {
    assert.equal((await h.server.write(ep(), '/1/0/0', 123)).code, '4.05');
    assert.equal(values(await h.server.read(ep(), '/1/0/0'))['/1/0/0'], 101);
  });

  it('LightweightM2M-1.1-int-257: Write-Composite Operation including Current Time', async () => {
    for (const fmt of [ContentFormat.SENML_JSON, ContentFormat.SENML_CBOR]) {
      const r = await h.server.writeComposite(ep(), [rec('/1/0/2', 102), rec('/1/0/6', true), rec('/3/0/13', 1000)], fmt);
      assert.equal(r.code, '2.04');
      assert.equal(values(await h.server.read(ep(), '/1/0/2'))['/1/0/2'], 102);
      const t = values(await h.server.read(ep(), '/3/0/13'))['/3/0/13'] as number;
      assert.ok(t >= 1000 && t < 1010, `clock moved to ${t}`);
    }
    // All or nothing: one read-only resource refuses the whole write.
    const bad = await h.server.writeComposite(ep(), [rec('/1/0/2', 5), rec('/1/0/0', 9)], ContentFormat.SENML_CBOR);
    assert.equal(bad.code, '4.05');
    assert.equal(values(await h.server.read(ep(), '/1/0/2'))['/1/0/2'], 102);
  });

  it('LightweightM2M-1.1-int-260: Discover Command (C.4: object version, dim, executables, attributes at each level)', async () => {
    // C.4: battery resources on top of C.3.
    assert.ok(
      h.client.setValue(
        '/3/0/7',
        new Map([
          [0, 0],
          [1, 0],
        ]),
      ),
    );
    assert.ok(
      h.client.setValue(
        '/3/0/8',
        new Map([
          [0, 0],
          [1, 0],
        ]),
      ),
    );
    assert.ok(h.client.setValue('/3/0/9', 0));
    // 1: every instantiated resource, executables included (Reboot), dim on multiple resources.
    let d = await h.server.discover(ep(), '/3');
    assert.equal(d.code, '2.05');
    let l = linkList(d.links);
    assert.equal(l[0], '/3;ver=1.1');
    for (const t of [
      '/3/0',
      '/3/0/0',
      '/3/0/1',
      '/3/0/2',
      '/3/0/3',
      '/3/0/4',
      '/3/0/5',
      '/3/0/6;dim=2',
      '/3/0/7;dim=2',
      '/3/0/8;dim=2',
      '/3/0/9',
      '/3/0/11;dim=1',
      '/3/0/16',
    ])
      assert.ok(l.includes(t), `${t} in ${l.join(',')}`);
    // 2-3: attributes on /3 show at /3 only; Discover /3/0 starts at the instance, nothing inherited there.
    assert.equal((await h.server.writeAttributes(ep(), '/3', { pmin: 10, pmax: 200 })).code, '2.04');
    assert.equal(linkList((await h.server.discover(ep(), '/3')).links)[0], '/3;ver=1.1;pmin=10;pmax=200');
    d = await h.server.discover(ep(), '/3/0');
    l = linkList(d.links);
    assert.equal(l[0], '/3/0');
    assert.ok(!l.some((x) => x.startsWith('/3;')));
    // 4-5: lt/gt/st on /3/0/7 show on that resource.
    assert.equal((await h.server.writeAttributes(ep(), '/3/0/7', { lt: 1, gt: 6, st: 1 })).code, '2.04');
    l = linkList((await h.server.discover(ep(), '/3/0')).links);
    assert.ok(l.includes('/3/0/7;dim=2;gt=6;lt=1;st=1'), l.join(','));
    assert.ok(l.includes('/3/0/8;dim=2'));
    // 6: Discover on the resource: its own attributes plus the inherited pmin/pmax, then its instances.
    l = linkList((await h.server.discover(ep(), '/3/0/7')).links);
    assert.deepEqual(l, ['/3/0/7;dim=2;pmin=10;pmax=200;gt=6;lt=1;st=1', '/3/0/7/0', '/3/0/7/1']);
  });

  it('Discover lists the executable resources the client can run, and no others', async () => {
    const l = linkList((await h.server.discover(ep(), '/1/0')).links);
    assert.deepEqual(
      l.filter((x) => ['/1/0/4', '/1/0/8', '/1/0/9'].includes(x)),
      ['/1/0/4', '/1/0/8'],
      'no Bootstrap-Request Trigger without a Bootstrap-Server Account',
    );
    assert.equal((await h.server.execute(ep(), '/1/0/9')).code, '4.05');
    // Reboot and Factory Reset run on every platform (in-process where the platform has no restart of its own).
    const d = linkList((await h.server.discover(ep(), '/3/0')).links);
    assert.ok(d.includes('/3/0/4') && d.includes('/3/0/5') && d.includes('/3/0/12'), d.join(','));
    assert.equal((await h.server.execute(ep(), '/1/0/1')).code, '4.05', 'Lifetime is not executable');
  });

  it('LightweightM2M-1.1-int-261: Write-Attribute Operation on a multiple resource and its instance', async () => {
    assert.deepEqual(linkList((await h.server.discover(ep(), '/3/0/11')).links), ['/3/0/11;dim=1', '/3/0/11/0']);
    assert.equal((await h.server.writeAttributes(ep(), '/3', { pmin: 10, pmax: 200 })).code, '2.04');
    assert.equal((await h.server.writeAttributes(ep(), '/3/0', { pmax: 320 })).code, '2.04');
    assert.equal((await h.server.writeAttributes(ep(), '/3/0/11/0', { pmax: 100, epmin: 1, epmax: 20 })).code, '2.04');
    const d = await h.server.discover(ep(), '/3/0/11');
    assert.equal(d.code, '2.05');
    // The resource shows what it inherits (pmin from /3, pmax from /3/0); the instance what is attached to it.
    assert.deepEqual(linkList(d.links), ['/3/0/11;dim=1;pmin=10;pmax=320', '/3/0/11/0;pmax=100;epmin=1;epmax=20']);
    // Inheritance object → instance → resource → resource instance, then the server defaults.
    const a = h.client.management.attributes;
    assert.deepEqual(a.effective(101, P('/3/0/11/0'), h.client.running), { pmin: 10, pmax: 100, epmin: 1, epmax: 20 });
    assert.deepEqual(a.effective(101, P('/3/0/1'), h.client.running), { pmin: 10, pmax: 320 });
    assert.deepEqual(a.effective(101, P('/1/0/1'), h.client.running), {});
    // A name without a value removes that attribute.
    assert.equal((await h.server.writeAttributes(ep(), '/3/0/11/0', { epmin: null })).code, '2.04');
    assert.deepEqual(linkList((await h.server.discover(ep(), '/3/0/11')).links)[1], '/3/0/11/0;pmax=100;epmax=20');
  });

  it('LightweightM2M-1.1-int-280: Successful Read-Composite Operation', async () => {
    const r = await h.server.readComposite(ep(), ['/3/0/16', '/3/0/11/0', '/1/0'], ContentFormat.SENML_CBOR);
    const v = values(r);
    assert.equal(v['/3/0/16'], 'U');
    assert.equal(v['/3/0/11/0'], 0);
    assert.equal(v['/1/0/0'], 101);
    assert.equal(Object.keys(v).filter((k) => k.startsWith('/3/')).length, 2, 'no extra resources');
  });

  it('LightweightM2M-1.1-int-281: Partially Successful Read-Composite Operation', async () => {
    const r = await h.server.readComposite(ep(), ['/1/0/1', '/1/0/7', '/1/0/8'], ContentFormat.SENML_JSON);
    assert.equal(r.code, '2.05');
    assert.deepEqual(values(r), { '/1/0/1': 3000, '/1/0/7': 'U' });
  });

  it('Create with client-chosen and server-chosen instance id (2.01 + Location-Path), Delete', async () => {
    const c = await h.server.create(ep(), '/6', [rec('/6/0/0', 52.5), rec('/6/0/1', 13.4), rec('/6/0/5', 1700000000)]);
    assert.equal(c.code, '2.01');
    assert.equal(c.location, '/6/0');
    assert.equal(values(await h.server.read(ep(), '/6/0/0'))['/6/0/0'], 52.5);
    assert.ok(h.server.clients.get(ep()) !== undefined);
    assert.equal(
      (await h.server.create(ep(), '/6', [rec('/6/0/0', 1), rec('/6/0/1', 1), rec('/6/0/5', 1)])).code,
      '4.00',
      'single-instance object already has one',
    );
    assert.equal((await h.server.delete(ep(), '/6/0')).code, '2.02');
    assert.equal((await h.server.read(ep(), '/6/0')).code, '4.04');
    assert.equal((await h.server.delete(ep(), '/6/0')).code, '4.04');
    // Client-chosen: the payload names only resources, no instance.
    const res = await h.server.endpoint.request(h.server.clients.get(ep())!.peer, {
      method: Code.POST,
      path: ['6'],
      contentFormat: ContentFormat.SENML_JSON,
      payload: utf8Encode('[{"bn":"/6/0/","n":"0","v":1.5},{"n":"1","v":2.5},{"n":"5","v":17}]'),
    });
    assert.equal(res.code, Code.CREATED);
    assert.deepEqual(res.locationPath, ['6', '0']);
    // Registration Update names the new instance.
    assert.ok(await h.until(() => h.server.clients.get(ep())!.links.some((l) => l.target === '/6/0'), 3000));
  });

  it('Execute with arguments; bad arguments 4.00; Execute on a resource that is not executable 4.05 (Transport §6.4.5)', async () => {
    assert.equal((await h.server.execute(ep(), '/3/0/4', "0='go',1")).code, '2.04');
    assert.equal((await h.server.execute(ep(), '/3/0/4', 'not args')).code, '4.00');
    const notExecutable = await h.server.execute(ep(), '/3/0/0');
    assert.equal(notExecutable.code, '4.05');
    assert.equal(notExecutable.text, 'resource not executable', 'a POST on a single, non-executable resource is an Execute, not a Write');
    const writableSingle = await h.server.execute(ep(), '/3/0/14', '');
    assert.equal(writableSingle.code, '4.05', 'also when the resource is writable');
    assert.equal((await h.server.execute(ep(), '/3/0/99')).code, '4.04');
    assert.ok(await h.until(() => h.rebooted === 1, 2000), 'only the valid Execute ran');
  });

  it('answers 4.04 / 4.05 / 4.06 / 4.00 / 4.15 where the spec says', async () => {
    const peer = h.server.clients.get(ep())!.peer;
    assert.equal((await h.server.read(ep(), '/3/1')).code, '4.04', 'missing instance');
    assert.equal((await h.server.read(ep(), '/3/0/9')).code, '4.04', 'resource without value');
    assert.equal((await h.server.read(ep(), '/3/0/999')).code, '4.04', 'undefined resource');
    assert.equal((await h.server.read(ep(), '/42')).code, '4.04', 'unsupported object');
    assert.equal((await h.server.read(ep(), '/3/0/4')).code, '4.05', 'Read on an executable');
    assert.equal((await h.server.write(ep(), '/3/0/0', 'x')).code, '4.05', 'Write on read-only');
    assert.equal((await h.server.delete(ep(), '/3/0')).code, '4.05', 'Delete the Device instance');
    assert.equal((await h.server.read(ep(), '/3/0', ContentFormat.LINK_FORMAT + 1)).code, '4.06', 'unknown Accept');
    assert.equal((await h.server.read(ep(), '/3/0', ContentFormat.TEXT)).code, '4.06', 'instance in plain text');
    let res = await h.server.endpoint.request(peer, {
      method: Code.PUT,
      path: ['1', '0', '1'],
      contentFormat: ContentFormat.TLV,
      payload: Uint8Array.of(0xff, 0x01),
    });
    assert.equal(res.code, Code.BAD_REQUEST, 'undecodable TLV');
    res = await h.server.endpoint.request(peer, {
      method: Code.PUT,
      path: ['1', '0', '1'],
      contentFormat: ContentFormat.TEXT,
      payload: utf8Encode('abc'),
    });
    assert.equal(res.code, Code.BAD_REQUEST, 'not an integer');
    res = await h.server.endpoint.request(peer, { method: Code.PUT, path: ['1', '0', '1'], contentFormat: 9999, payload: utf8Encode('1') });
    assert.equal(res.code, Code.UNSUPPORTED_CONTENT_FORMAT);
    res = await h.server.endpoint.request(peer, {
      method: Code.IPATCH,
      path: [],
      contentFormat: ContentFormat.TLV,
      payload: Uint8Array.of(1),
    });
    assert.equal(res.code, Code.UNSUPPORTED_CONTENT_FORMAT, 'Write-Composite needs SenML');
    res = await h.server.endpoint.request(peer, {
      method: Code.FETCH,
      path: [],
      contentFormat: ContentFormat.SENML_JSON,
      accept: ContentFormat.TLV,
      payload: utf8Encode('[{"n":"/3/0/0"}]'),
    });
    assert.equal(res.code, Code.NOT_ACCEPTABLE, 'Read-Composite answered in TLV');
    res = await h.server.endpoint.request(peer, {
      method: Code.FETCH,
      path: [],
      contentFormat: ContentFormat.SENML_JSON,
      payload: utf8Encode('{"n":1}'),
    });
    assert.equal(res.code, Code.BAD_REQUEST, 'bad path list');
  });

  it('Write-Attributes rejects bad values and combinations with 4.00', async () => {
    const bad: Array<[string, Record<string, number | string | null>]> = [
      ['/3/0/9', { lt: 10, gt: 5 }], // lt ≥ gt
      ['/3/0/9', { lt: 1, gt: 5, st: 2 }], // lt + 2·st ≥ gt
      ['/3/0/9', { st: -1 }],
      ['/3/0/9', { pmin: 20, pmax: 10 }],
      ['/3/0/9', { epmin: 20, epmax: 10 }],
      ['/3/0/0', { gt: 5 }], // non-numeric resource
      ['/3/0', { gt: 5 }], // gt above resource level
      ['/3/0/9', { foo: 1 }], // unknown attribute
      ['/3/0/9', { pmin: 'abc' }], // not a number
      ['/3/0/9', { pmin: -1 }],
      ['/3/0/9', { dim: 2 }], // read-only attribute
    ];
    for (const [p, a] of bad) assert.equal((await h.server.writeAttributes(ep(), p, a)).code, '4.00', `${p} ${JSON.stringify(a)}`);
    // A combination is checked against what is already attached at that level.
    assert.equal((await h.server.writeAttributes(ep(), '/3/0/9', { gt: 50 })).code, '2.04');
    assert.equal((await h.server.writeAttributes(ep(), '/3/0/9', { lt: 60 })).code, '4.00');
    assert.equal((await h.server.writeAttributes(ep(), '/3/1', { pmin: 1 })).code, '4.04');
  });
});
