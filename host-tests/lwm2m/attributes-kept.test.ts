// Write-Attributes hold until the server changes them (Core §5.1.2), across a
// restart too: kept in the store beside the configuration, bounded, and
// dropped with the server account they belong to.
import assert from 'node:assert/strict';
import { AttributeKeeper } from '../../firmware/lwm2m/reporting/attribute-keeping';
import { decodeAttributeRecord, encodeAttributeRecord } from '../../firmware/lwm2m/reporting/attribute-records';
import { AttributeStore, entrySize, type AttributeEntry } from '../../firmware/lwm2m/reporting/attributes';
import { factoryTree } from '../../firmware/lwm2m/engine/client-options';
import { ATTRIBUTES_KEY, storePersistence } from '../../firmware/lwm2m/engine/persistence';
import { silentLogger } from '../../firmware/platform/ports';
import { RecordStore } from '../../firmware/store/record-store';
import { MemoryFlash } from '../support/memory-flash';
import { openRig, type Rig } from '../support/rig';

const EP = 'node-1';

describe('notification attributes kept across restarts', () => {
  describe('in the flow', () => {
    let rig: Rig;
    afterEach(async () => {
      await rig?.close();
    });

    it('attributes a server set are there after a reboot, and a removal is stored too', async () => {
      const flash = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
      rig = await openRig({ kind: 'memory', persistence: storePersistence(RecordStore.mount(flash), silentLogger) });
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
      await rig.advance(50);
      const w = await rig.settle(rig.servers[0].writeAttributes(EP, '/3/0/13', { pmin: 10, pmax: 60 }));
      assert.equal(w?.code, '2.04');
      const w2 = await rig.settle(rig.servers[0].writeAttributes(EP, '/3/0', { pmax: 300 }));
      assert.equal(w2?.code, '2.04');

      await rig.reboot({ persistence: storePersistence(RecordStore.mount(flash), silentLogger) });
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
      await rig.advance(50);
      const d = await rig.settle(rig.servers[0].discover(EP, '/3/0'));
      assert.equal(d?.code, '2.05');
      assert.match(d!.text!, /<\/3\/0>;pmax=300/);
      assert.match(d!.text!, /<\/3\/0\/13>;pmin=10;pmax=60/);

      // The server takes pmin off /3/0/13 and /3/0's pmax: after the next reboot only pmax=60 is left.
      assert.equal((await rig.settle(rig.servers[0].writeAttributes(EP, '/3/0/13', { pmin: null })))?.code, '2.04');
      assert.equal((await rig.settle(rig.servers[0].writeAttributes(EP, '/3/0', { pmax: null })))?.code, '2.04');
      await rig.reboot({ persistence: storePersistence(RecordStore.mount(flash), silentLogger) });
      rig.client.start();
      assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
      await rig.advance(50);
      const d2 = await rig.settle(rig.servers[0].discover(EP, '/3/0'));
      assert.doesNotMatch(d2!.text!, /<\/3\/0>;/);
      assert.match(d2!.text!, /<\/3\/0\/13>;pmax=60(,|$)/);
    });
  });

  describe('the keeper and the record', () => {
    const tree = (ssids: number[]) => factoryTree({ servers: ssids.map((ssid) => ({ uri: `coap://10.0.0.${ssid % 250}:5683`, ssid })) });
    const entries: AttributeEntry[] = [
      { ssid: 101, path: { objectId: 3, instanceId: 0, resourceId: 13 }, attrs: { pmin: 10, pmax: 60 } },
      { ssid: 101, path: { objectId: 3 }, attrs: { pmax: 300 } },
      { ssid: 202, path: { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: 0 }, attrs: { gt: 3.25, lt: -1.5, st: 0.5 } },
    ];

    it('the record round-trips every level and fractional values; a damaged one is refused', () => {
      const b = encodeAttributeRecord(entries);
      assert.equal(b.length, 1 + entries.reduce((n, e) => n + entrySize(e.path, e.attrs), 0));
      assert.deepEqual(decodeAttributeRecord(b), entries);
      assert.equal(decodeAttributeRecord(b.subarray(0, b.length - 3)), undefined, 'truncated');
      const other = b.slice();
      other[0] = 9;
      assert.equal(decodeAttributeRecord(other), undefined, 'another version');
    });

    it('at start only the attributes of servers the configuration has come back, and the store forgets the others', () => {
      const store = RecordStore.mount(new MemoryFlash({ byteLength: 16384, blockSize: 4096 }));
      const persistence = storePersistence(store, silentLogger);
      assert.ok(persistence.saveAttributes!(encodeAttributeRecord(entries)));
      const attrs = new AttributeStore(64, 1024);
      new AttributeKeeper(attrs, persistence, silentLogger).restore(tree([101]));
      assert.deepEqual(attrs.at(101, { objectId: 3, instanceId: 0, resourceId: 13 }), { pmin: 10, pmax: 60 });
      assert.equal(attrs.at(202, { objectId: 3, instanceId: 0, resourceId: 7, resourceInstanceId: 0 }), undefined);
      assert.deepEqual(decodeAttributeRecord(store.get(ATTRIBUTES_KEY)!), entries.slice(0, 2));
    });

    it("a new configuration without a server drops its attributes; with none left the record is deleted in the configuration's commit", () => {
      const store = RecordStore.mount(new MemoryFlash({ byteLength: 16384, blockSize: 4096 }));
      const persistence = storePersistence(store, silentLogger);
      const attrs = new AttributeStore(64, 1024);
      const keeper = new AttributeKeeper(attrs, persistence, silentLogger);
      assert.ok(persistence.save(tree([202])));
      assert.ok(attrs.apply(202, { objectId: 3, instanceId: 0 }, { set: { pmin: 5 }, remove: [] }, undefined).ok);
      assert.ok(store.has(ATTRIBUTES_KEY), 'a Write-Attributes is stored at once');
      const commits = store.stats.commits;
      const record = keeper.retain(tree([101]));
      assert.equal(attrs.size, 0);
      assert.equal(record, null, 'no attributes left to store');
      assert.equal(store.stats.commits, commits, 'the keeper commits nothing of its own');
      assert.ok(store.has(ATTRIBUTES_KEY));
      assert.ok(persistence.save(tree([101]), record));
      assert.equal(store.has(ATTRIBUTES_KEY), false);
      assert.equal(persistence.load()!.value(1, 0, 0), 101);
    });

    it('the stored form is bounded: a set that would pass maxBytes is refused as full, the others stay', () => {
      const attrs = new AttributeStore(64, 1 + 2 * entrySize({ objectId: 3, instanceId: 0, resourceId: 1 }, { pmin: 1, pmax: 2 }));
      for (const rid of [1, 2])
        assert.ok(
          attrs.apply(101, { objectId: 3, instanceId: 0, resourceId: rid }, { set: { pmin: 1, pmax: 2 }, remove: [] }, undefined).ok,
        );
      const r = attrs.apply(101, { objectId: 3, instanceId: 0, resourceId: 3 }, { set: { pmin: 1 }, remove: [] }, undefined);
      assert.equal(r.ok, false);
      assert.ok('full' in r && r.full);
      assert.equal(attrs.size, 2);
    });
  });
});
