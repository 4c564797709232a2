// Access Control (Core §7.3.3, object 2) with two LwM2M Servers over
// loopback UDP; and the single-server rule (no checks) over the memory network.
import assert from 'node:assert/strict';
import { ContentFormat } from '../../firmware/formats';
import { formatPath } from '../../firmware/model/path';
import type { OperationResult } from '../../host/lwm2m-server';
import { openDm } from './helpers';
import type { Rig } from '../support/rig';

const R = 1,
  W = 2,
  E = 4,
  C = 16;
const paths = (r: OperationResult) => (r.records ?? []).map((x) => formatPath(x.path));
const loc = (v: number) => [
  { path: { objectId: 6, instanceId: 0, resourceId: 0 }, value: v },
  { path: { objectId: 6, instanceId: 0, resourceId: 1 }, value: v },
  { path: { objectId: 6, instanceId: 0, resourceId: 5 }, value: 1 },
];

describe('dm: Access Control', function () {
  let h: Rig;
  afterEach(async () => {
    await h.close();
  });

  describe('two servers (ssid 101 = A, 102 = B)', () => {
    beforeEach(async () => {
      h = await openDm({ kind: 'udp', servers: 2, client: { objects: [6] } });
      const t = h.client.running;
      // As a Bootstrap-Server would provision them: /3/0 owned by B, A may only read;
      // Create on /6 granted to A through the 65535 instance.
      t.set(2, 0, 0, 3);
      t.set(2, 0, 1, 0);
      t.set(2, 0, 2, new Map([[101, R]]));
      t.set(2, 0, 3, 102);
      t.set(2, 1, 0, 6);
      t.set(2, 1, 1, 65535);
      t.set(2, 1, 2, new Map([[101, C]]));
      t.set(2, 1, 3, 65535);
    });
    const A = () => h.servers[0];
    const B = () => h.servers[1];

    it('Read allowed by the ACL entry, Write and Execute denied with 4.01; the owner has full rights', async () => {
      assert.equal((await A().read(h.endpointName, '/3/0')).code, '2.05');
      assert.equal((await A().write(h.endpointName, '/3/0/14', '+02:00')).code, '4.01');
      assert.equal((await A().execute(h.endpointName, '/3/0/4')).code, '4.01');
      assert.equal(h.rebooted, 0);
      assert.equal((await B().write(h.endpointName, '/3/0/14', '+02:00')).code, '2.04');
      assert.equal((await B().read(h.endpointName, '/3/0/14', ContentFormat.TEXT)).text, '+02:00');
      assert.equal((await B().execute(h.endpointName, '/3/0/4')).code, '2.04');
      assert.ok(await h.until(() => h.rebooted === 1, 2000));
      // Observe and Write-Attributes need R.
      assert.equal((await A().writeAttributes(h.endpointName, '/3/0/14', { pmin: 5 })).code, '2.04');
      const o = await A().observe(h.endpointName, '/3/0/14', () => {});
      assert.equal(o.first.code, '2.05');
      await o.cancel();
    });

    it('each server sees and manages its own Server instance; the other one is not visible (4.04)', async () => {
      const r = await A().read(h.endpointName, '/1');
      assert.equal(r.code, '2.05');
      assert.ok(
        paths(r).every((p) => p.startsWith('/1/0/')),
        paths(r).join(' '),
      );
      assert.equal((await A().read(h.endpointName, '/1/1')).code, '4.04');
      assert.equal((await A().write(h.endpointName, '/1/1/1', 50)).code, '4.04');
      assert.equal((await B().read(h.endpointName, '/1/1/0')).code, '2.05');
      assert.equal((await B().write(h.endpointName, '/1/1/3', 50)).code, '2.04');
      const d = await A().discover(h.endpointName, '/1');
      assert.ok(!d.links!.some((l) => l.target.startsWith('/1/1')));
      const rc = await A().readComposite(h.endpointName, ['/1/0/0', '/1/1/0']);
      assert.deepEqual(paths(rc), ['/1/0/0'], 'Read-Composite leaves out what A may not read');
      assert.equal(
        (await A().writeComposite(h.endpointName, [{ path: { objectId: 1, instanceId: 1, resourceId: 3 }, value: 9 }])).code,
        '4.04',
      );
    });

    it('Create needs C on the object (instance 65535); the creator owns the new instance and its ACL', async () => {
      assert.equal((await B().create(h.endpointName, '/6', loc(1))).code, '4.01');
      const c = await A().create(h.endpointName, '/6', loc(2));
      assert.equal(c.code, '2.01');
      const acl = await A().read(h.endpointName, '/2');
      const owners = (acl.records ?? []).filter((x) => x.path.resourceId === 3).map((x) => x.value);
      assert.ok(owners.includes(101), 'an Access Control instance owned by the creator');
      assert.equal((await B().read(h.endpointName, '/6/0')).code, '4.04', 'B has no right at all on it');
      // The owner grants B read access; B cannot change the ACL itself.
      const aclIid = (acl.records ?? []).find(
        (x) =>
          x.path.resourceId === 0 &&
          x.value === 6 &&
          (acl.records ?? []).some((y) => y.path.instanceId === x.path.instanceId && y.path.resourceId === 1 && y.value === 0),
      )!.path.instanceId!;
      assert.equal((await A().write(h.endpointName, `/2/${aclIid}/2/102`, R, { format: ContentFormat.TEXT })).code, '2.04');
      assert.equal((await B().read(h.endpointName, '/6/0/0', ContentFormat.TEXT)).text, '2');
      assert.equal((await B().write(h.endpointName, `/2/${aclIid}/2/102`, R | W, { format: ContentFormat.TEXT })).code, '4.01');
      assert.equal((await B().delete(h.endpointName, '/6/0')).code, '4.01');
      assert.equal((await A().delete(h.endpointName, '/6/0')).code, '2.02');
      const after = await A().read(h.endpointName, '/2');
      assert.ok(!(after.records ?? []).some((x) => x.path.instanceId === aclIid), 'its Access Control instance went with it');
    });

    it('a default ACL entry (resource instance 0) applies to servers without their own entry', async () => {
      h.client.running.set(2, 0, 2, new Map([[0, R | E]]));
      assert.equal((await A().execute(h.endpointName, '/3/0/4')).code, '2.04');
      assert.equal((await A().write(h.endpointName, '/3/0/14', '+01:00')).code, '4.01');
    });
  });

  it('one server: no ACL checks (the single-server rule)', async () => {
    h = await openDm({ kind: 'memory' });
    const t = h.client.running;
    t.set(2, 0, 0, 3);
    t.set(2, 0, 1, 0);
    t.set(2, 0, 2, new Map([[101, 0]]));
    t.set(2, 0, 3, 999);
    assert.equal((await h.settle(h.server.write(h.endpointName, '/3/0/14', '+03:00'))).code, '2.04');
    assert.equal((await h.settle(h.server.read(h.endpointName, '/3/0/14', ContentFormat.TEXT))).text, '+03:00');
  });
});
