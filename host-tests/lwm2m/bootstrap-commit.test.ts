// The bootstrap commit in the flash store: the new configuration and the
// notification attributes it keeps are one store commit, so a power cut at
// any write of it leaves the old pair or the new pair, never the attributes
// of one configuration beside another (Core §5.1.2: attributes belong to the
// server that set them; §5.2.7.2: Bootstrap-Finish replaces the
// configuration as a whole). A bootstrap that writes the configuration the
// device already has costs no flash write.
import assert from 'node:assert/strict';
import { encodeAttributeRecord } from '../../firmware/lwm2m/reporting/attribute-records';
import { factoryTree } from '../../firmware/lwm2m/engine/client-options';
import { ATTRIBUTES_KEY, MANIFEST_KEY, storePersistence } from '../../firmware/lwm2m/engine/persistence';
import type { Flash } from '../../firmware/platform/ports';
import { silentLogger } from '../../firmware/platform/ports';
import { ENTRY_HEADER_SIZE, RECORD_OVERHEAD } from '../../firmware/store/layout';
import { encodeInstance, instanceKey } from '../../firmware/store/object-codec';
import { RecordStore } from '../../firmware/store/record-store';
import { FaultFlash, MemoryFlash, type FaultPlan } from '../support/memory-flash';
import { openRig, type Rig } from '../support/rig';
import { snapshot } from '../store/helpers';

const EP = 'node-1';

/** The store's flash; the test puts a fault-planning flash under it for the commit it cuts. */
class SwitchFlash implements Flash {
  readonly blockSize: number;
  readonly byteLength: number;
  inner: Flash;
  /** Lengths of the writes since the last arm(). */
  writes: number[] = [];
  erases = 0;

  constructor(readonly mem: MemoryFlash) {
    this.blockSize = mem.blockSize;
    this.byteLength = mem.byteLength;
    this.inner = mem;
  }

  arm(plan: FaultPlan): FaultFlash {
    const f = new FaultFlash(this.mem, plan);
    this.inner = f;
    this.writes = [];
    this.erases = 0;
    return f;
  }

  erase(sector: number): void {
    this.erases++;
    this.inner.erase(sector);
  }
  read(offset: number, length: number): Uint8Array {
    return this.inner.read(offset, length);
  }
  write(offset: number, data: Uint8Array): void {
    this.writes.push(data.length);
    this.inner.write(offset, data);
  }
}

/** What the store holds: every key and value, as a remount after a reboot sees it. */
const stored = (mem: MemoryFlash) => JSON.stringify(snapshot(RecordStore.mount(mem.clone())));

describe('bootstrap commit: configuration and attributes together', function () {
  this.timeout(120_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  /**
   * Bootstraps with two server accounts (101, 102), lets each server set attributes on its own
   * Server instance (with two servers and no Access Control instances, the only ones it may see), then has the
   * Bootstrap-Server hand out a configuration without 102 (Bootstrap-Request Trigger). `plan`
   * cuts the power during that second bootstrap's store writes. Returns the store before it, the
   * store after it (as a reboot reads it), and the writes and erases made.
   */
  async function rebootstrap(
    plan: FaultPlan | undefined,
    dropSecond: boolean,
  ): Promise<{
    before: string;
    after: string;
    writes: number[];
    erases: number;
    cut: boolean;
    mem: MemoryFlash;
  }> {
    const mem = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
    const flash = new SwitchFlash(mem);
    rig = await openRig({ kind: 'memory', servers: 2, persistence: storePersistence(RecordStore.mount(flash), silentLogger) });
    const r = rig;
    r.client.start();
    await r.expect(() => r.client.registeredServers.length === 2, 'registration at both servers', 20_000);
    await r.advance(50);
    assert.equal((await r.settle(r.servers[0].writeAttributes(EP, '/1/0/1', { pmin: 10, pmax: 60 })))?.code, '2.04');
    assert.equal((await r.settle(r.servers[1].writeAttributes(EP, '/1/1', { pmax: 300 })))?.code, '2.04');
    if (dropSecond) r.bs!.config.endpoints[EP].servers.splice(1);
    const before = stored(mem);
    const ff = flash.arm(plan ?? {});
    assert.equal((await r.settle(r.servers[0].execute(EP, '/1/0/9')))?.code, '2.04');
    await r.expect(() => r.count('bootstrap-finished') === 2, 'the second Bootstrap-Finish', 20_000);
    if (!plan)
      await r.expect(() => r.servers[0].clients.has(EP) && r.client.state === 'registered', 'registration after the bootstrap', 20_000);
    return { before, after: stored(mem), writes: flash.writes, erases: flash.erases, cut: ff.cut, mem };
  }

  it('a power cut at any write of the commit leaves the old configuration with its attributes or the new one with its own', async () => {
    const dry = await rebootstrap(undefined, true);
    await rig!.close();
    rig = undefined;
    assert.notEqual(dry.after, dry.before, 'the new configuration and attributes were stored');
    const after = RecordStore.mount(dry.mem.clone());
    const config = storePersistence(after, silentLogger).load()!;
    assert.deepEqual(config.instanceIds(1), [0], 'server 102 is gone from the stored configuration');
    assert.ok(after.has(ATTRIBUTES_KEY), 'server 101 keeps its attributes');
    assert.ok(dry.writes.length > 0);
    // Cut at every byte of every write (every other one garbled), and during every erase.
    const plans: FaultPlan[] = [];
    const bytes = dry.writes.reduce((a, b) => a + b, 0);
    for (let b = 0; b < bytes; b++) plans.push(b % 2 ? { cutAtByte: b, garble: true, seed: b } : { cutAtByte: b });
    for (let e = 0; e < dry.erases; e++) plans.push({ cutAtErase: e, eraseDamage: 'partial', seed: e + 1 });
    for (const plan of plans) {
      const run = await rebootstrap(plan, true);
      await rig!.close();
      rig = undefined;
      assert.ok(run.cut, `the planned cut happened (${JSON.stringify(plan)})`);
      assert.equal(run.before, dry.before, 'every run starts from the same store');
      assert.ok(
        run.after === dry.before || run.after === dry.after,
        `cut ${JSON.stringify(plan)}: the store holds neither the old pair nor the new one:\n${difference(run.after, dry)}`,
      );
    }
  });

  it('a bootstrap that writes the configuration the device has, attributes kept, writes nothing to flash', async () => {
    const run = await rebootstrap(undefined, false);
    assert.equal(run.after, run.before);
    assert.deepEqual(run.writes, [], 'no flash write');
    assert.equal(run.erases, 0, 'no erase');
    // And the attributes still hold after a reboot.
    const r = rig!;
    await r.reboot({ persistence: storePersistence(RecordStore.mount(run.mem), silentLogger) });
    r.client.start();
    await r.expect(
      () => r.client.registeredServers.length === 2 && r.client.state === 'registered',
      'registration after the reboot',
      20_000,
    );
    await r.advance(50);
    const d = await r.settle(r.servers[1].discover(EP, '/1/1'));
    assert.match(d!.text!, /<\/1\/1>;pmax=300/);
  });
});

describe('persistence: what a configuration commit writes', () => {
  const tree = (lifetime: number) =>
    factoryTree({
      bootstrap: { uri: 'coap://10.0.0.1:5683' },
      servers: [
        { uri: 'coap://10.0.0.2:5683', ssid: 101, lifetime },
        { uri: 'coap://10.0.0.3:5683', ssid: 102 },
      ],
    });

  it('the same configuration and attributes again write nothing; one changed instance writes that record alone', () => {
    const mem = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
    const store = RecordStore.mount(mem);
    const p = storePersistence(store, silentLogger);
    const attributes = encodeAttributeRecord([{ ssid: 101, path: { objectId: 1, instanceId: 0 }, attrs: { pmax: 60 } }]);
    assert.ok(p.save(tree(300), attributes));
    const written = mem.bytesWritten;
    assert.ok(p.save(tree(300), attributes));
    assert.ok(p.save(tree(300)));
    assert.equal(mem.bytesWritten, written, 'nothing written for an unchanged configuration');
    assert.ok(p.save(tree(600), attributes));
    const server0 = encodeInstance(tree(600).getInstance(1, 0)!);
    assert.equal(mem.bytesWritten - written, RECORD_OVERHEAD + ENTRY_HEADER_SIZE + server0.length, 'one record with /1/0 alone');
    assert.deepEqual(store.get(instanceKey(1, 0)), server0);
  });
});

/** Which records differ from the old and the new state (keys only: no values, they hold keys). */
function difference(got: string, dry: { before: string; after: string }): string {
  const keys = (s: string) => new Map((JSON.parse(s) as Array<[number, string]>).map(([k, v]) => [k, v]));
  const g = keys(got);
  const diff = (other: Map<number, string>) =>
    [...new Set([...g.keys(), ...other.keys()])]
      .filter((k) => g.get(k) !== other.get(k))
      .map((k) => (k === ATTRIBUTES_KEY ? 'attributes' : k === MANIFEST_KEY ? 'manifest' : `/${k >>> 16}/${k & 0xffff}`));
  return `differs from the old store in ${diff(keys(dry.before)).join(', ')}; from the new in ${diff(keys(dry.after)).join(', ')}`;
}
