// The OMA ETS Device Management cases that use the Portfolio object (/16) as
// the ETS writes them: configuration C.12 (C.1 plus /16/0 with four Identity
// instances), our client against the project's LwM2M Server over loopback UDP.
// int-270 and int-290 delegate to int-1630 and int-1635 (Create / Delete
// Portfolio instances); both ids are in the titles.
import assert from 'node:assert/strict';
import { ContentFormat } from '../../firmware/formats';
import { linkList, openDm, rec, values } from './helpers';
import type { Rig } from '../support/rig';

/** C.12: /16/0/0/0..3. */
const C12 = ['Host Device ID #1', 'Host Device Manufacturer #1', 'Host Device Model #1', 'Host Device Software Version #1'];

describe('dm: ETS cases on the Portfolio object (C.12) over loopback UDP', function () {
  let h: Rig;
  const ep = () => h.endpointName;

  beforeEach(async () => {
    h = await openDm({ kind: 'udp', client: { objects: [6, 16] } });
    h.client.running.set(16, 0, 0, new Map(C12.map((s, i) => [i, s])));
    // The server learns about /16/0 with the next Update (as after a configuration change).
    h.client.networkChanged();
    assert.ok(await h.until(() => h.server.clients.get(ep())!.links.some((l) => l.target === '/16/0'), 3000));
  });
  afterEach(async () => {
    await h.close();
  });

  const lifetimeSeen = (lt: number) => h.until(() => h.server.clients.get(ep())?.lifetime === lt, 3000);

  it('LightweightM2M-1.1-int-228: Write on Resource Instance (/16/0/0/1)', async () => {
    for (const fmt of [ContentFormat.TEXT, ContentFormat.TLV, ContentFormat.SENML_CBOR, ContentFormat.CBOR]) {
      const w = await h.server.write(ep(), '/16/0/0/1', `test ${fmt}`, { format: fmt });
      assert.equal(w.code, '2.04', `format ${fmt}`);
      const r = await h.server.read(ep(), '/16/0/0/1', ContentFormat.SENML_JSON);
      assert.equal(r.code, '2.05');
      assert.deepEqual(values(r), { '/16/0/0/1': `test ${fmt}` }, 'only that resource instance');
    }
    // The other instances are untouched.
    const all = values(await h.server.read(ep(), '/16/0/0'));
    assert.deepEqual([all['/16/0/0/0'], all['/16/0/0/2'], all['/16/0/0/3']], [C12[0], C12[2], C12[3]]);
  });

  for (const [name, fmt] of [
    ['SenML CBOR', ContentFormat.SENML_CBOR],
    ['SenML JSON', ContentFormat.SENML_JSON],
  ] as const) {
    it(`LightweightM2M-1.1-int-230: Write-Composite Operation (/1/0 and /16/0/0 in one iPATCH, ${name})`, async () => {
      const r = await h.server.writeComposite(
        ep(),
        [
          rec('/1/0/1', 61),
          rec('/1/0/6', true),
          rec('/16/0/0/0', 'aa'),
          rec('/16/0/0/1', 'bb'),
          rec('/16/0/0/2', 'cc'),
          rec('/16/0/0/3', 'dd'),
        ],
        fmt,
      );
      assert.equal(r.code, '2.04');
      assert.ok(await lifetimeSeen(61), 'an Update carries the new lifetime');
      const s = values(await h.server.read(ep(), '/1/0', fmt));
      assert.deepEqual([s['/1/0/1'], s['/1/0/6']], [61, true]);
      assert.deepEqual(values(await h.server.read(ep(), '/16', fmt)), {
        '/16/0/0/0': 'aa',
        '/16/0/0/1': 'bb',
        '/16/0/0/2': 'cc',
        '/16/0/0/3': 'dd',
      });
    });
  }

  for (const [id, name, fmt] of [
    ['233', 'SenML CBOR', ContentFormat.SENML_CBOR],
    ['234', 'SenML JSON', ContentFormat.SENML_JSON],
  ] as const) {
    it(`LightweightM2M-1.1-int-${id}: Setting basic information in ${name} format (/1/0 and /16/0/0/0)`, async () => {
      // 1-2: partial update of the Server instance, an Update with the new lifetime, then Read /1.
      assert.equal(
        (await h.server.write(ep(), '/1/0', [rec('/1/0/1', 61), rec('/1/0/6', true)], { format: fmt, replace: false })).code,
        '2.04',
      );
      assert.ok(await lifetimeSeen(61));
      const s = values(await h.server.read(ep(), '/1', fmt));
      assert.deepEqual([s['/1/0/1'], s['/1/0/6']], [61, true]);
      // 3-4: one Identity instance, then Read /16.
      assert.equal((await h.server.write(ep(), '/16/0/0/0', 'test_value', { format: fmt })).code, '2.04');
      const pf = values(await h.server.read(ep(), '/16', fmt));
      assert.deepEqual(pf, { '/16/0/0/0': 'test_value', '/16/0/0/1': C12[1], '/16/0/0/2': C12[2], '/16/0/0/3': C12[3] });
      // 5-6: the lifetime alone, another Update, Read it back.
      assert.equal((await h.server.write(ep(), '/1/0/1', 63, { format: fmt })).code, '2.04');
      assert.ok(await lifetimeSeen(63));
      assert.deepEqual(values(await h.server.read(ep(), '/1/0/1', fmt)), { '/1/0/1': 63 });
    });
  }

  it('LightweightM2M-1.1-int-270 (= int-1630): Create Object Instance (Portfolio, TLV)', async () => {
    let d = await h.server.discover(ep(), '/16/0');
    assert.equal(d.code, '2.05');
    assert.ok(linkList(d.links).includes('/16/0/0;dim=4'), linkList(d.links).join(','));
    // 1630-SetOfValues: instance 1 with Identity 0 = "Host Device ID #2", 1 = "Host Device Model #2".
    const c = await h.server.create(
      ep(),
      '/16',
      [rec('/16/1/0/0', 'Host Device ID #2'), rec('/16/1/0/1', 'Host Device Model #2')],
      ContentFormat.TLV,
    );
    assert.equal(c.code, '2.01');
    assert.equal(c.location, '/16/1');
    d = await h.server.discover(ep(), '/16/1');
    assert.deepEqual(linkList(d.links), ['/16/1', '/16/1/0;dim=2']);
    const all = await h.server.read(ep(), '/16', ContentFormat.TLV);
    assert.equal(all.code, '2.05');
    assert.equal(all.contentFormat, ContentFormat.TLV);
    const v = values(all);
    assert.deepEqual(Object.keys(v).filter((k) => k.startsWith('/16/0/0/')).length, 4);
    assert.deepEqual([v['/16/1/0/0'], v['/16/1/0/1']], ['Host Device ID #2', 'Host Device Model #2']);
    // The Registration Update names the new instance.
    assert.ok(await h.until(() => h.server.clients.get(ep())!.links.some((l) => l.target === '/16/1'), 3000));
    // Create without the mandatory Identity, or on an existing instance id: 4.00, nothing created.
    assert.equal((await h.server.create(ep(), '/16', [rec('/16/2/3', 0)], ContentFormat.TLV)).code, '4.00');
    assert.equal((await h.server.create(ep(), '/16', [rec('/16/1/0/0', 'again')], ContentFormat.TLV)).code, '4.00');
    assert.equal((await h.server.read(ep(), '/16/2')).code, '4.04');
  });

  it('LightweightM2M-1.1-int-290 (= int-1635): Delete Object Instance (all Portfolio instances)', async () => {
    assert.equal((await h.server.create(ep(), '/16', [rec('/16/1/0/0', 'x')], ContentFormat.TLV)).code, '2.01');
    let d = await h.server.discover(ep(), '/16');
    const before = linkList(d.links);
    assert.ok(before.includes('/16/0') && before.includes('/16/0/0;dim=4') && before.includes('/16/1'), before.join(','));
    for (const iid of [0, 1]) assert.equal((await h.server.delete(ep(), `/16/${iid}`)).code, '2.02');
    d = await h.server.discover(ep(), '/16');
    assert.equal(d.code, '2.05');
    assert.deepEqual(linkList(d.links), ['/16'], 'the object stays, without instances');
    assert.equal((await h.server.read(ep(), '/16/0')).code, '4.04');
    assert.ok(await h.until(() => !h.server.clients.get(ep())!.links.some((l) => l.target.startsWith('/16/')), 3000));
    assert.ok(
      h.server.clients.get(ep())!.links.some((l) => l.target === '/16'),
      'the client still registers /16',
    );
  });
});
