// The application's own objects on the object seam (ClientOptions.objects),
// served to our LwM2M Server over the in-memory network in virtual time: IPSO
// Smart Objects with the ready handlers (a sensor fed by the app, an output
// whose writes reach a callback, a push button), a vendor object defined from
// its own table, and what bad input and bad handlers get. Then Reboot and
// Factory Reset of a client whose platform has no restart of its own.
import assert from 'node:assert/strict';
import { Code } from '../../firmware/coap/message';
import { ContentFormat } from '../../firmware/formats';
import { utf8Encode } from '../../firmware/util/utf8';
import { objectDefs, type ObjectRow } from '../../firmware/model';
import type { Value } from '../../firmware/model/types';
import type { ExecuteArgument, ObjectSpec, ReadValue } from '../../firmware/lwm2m/objects/object-api';
import { outputObject, pushButtonObject, sensorObject } from '../../firmware/lwm2m/objects/ipso-objects';
import type { ResourceValue } from '../../firmware/lwm2m/objects/object-tree';
import { storePersistence } from '../../firmware/lwm2m/engine/persistence';
import { RecordStore } from '../../firmware/store/record-store';
import type { Logger } from '../../firmware/platform/ports';
import { MemoryFlash } from '../support/memory-flash';
import { openRig, type Rig } from '../support/rig';
import { linkList, rec, values } from './helpers';

/** A vendor object as build/gen-objects.ts --out writes it from a DDF. */
const VENDOR_ROWS: ObjectRow[] = [
  [
    32769,
    'Pump',
    '1.0',
    '1.1',
    'urn:oma:lwm2m:x:32769',
    1,
    0,
    [
      [0, 'Flow', 'R', 0, 1, 'float', '', 'l/min'],
      [1, 'Limit', 'RW', 0, 0, 'integer', '0..1000'],
      [2, 'Flush', 'E', 0, 0, 'none'],
      [3, 'Label', 'RW', 0, 0, 'string', '0..8 bytes'],
      [4, 'Pressure', 'R', 0, 0, 'float', '', 'bar'],
    ],
  ],
];
const VENDOR = objectDefs(VENDOR_ROWS).get(32769)!;

function recordingLog(lines: string[]): Logger {
  const add = (level: string) => (m: string) => {
    lines.push(`${level} ${m}`);
  };
  return { error: add('E'), warn: add('W'), info: () => {}, debug: () => {} };
}

describe("dm: the application's own objects (object seam)", function () {
  let h: Rig;
  const ep = () => h.endpointName;
  const logs: string[] = [];
  const writes: Array<[number, number, ResourceValue]> = [];
  const executed: Array<{ iid: number; args: readonly ExecuteArgument[] }> = [];
  const created: number[] = [];
  const deleted: number[] = [];
  /** How the Pump's Pressure (/32769/x/4) answers: a value now, later, never, or a throw. */
  let pressure: 'now' | 'later' | 'never' | 'throw' = 'now';
  let pressureCalls = 0;
  const temperature = sensorObject({ id: 3303, units: 'Cel', range: [-40, 125] });
  const button = pushButtonObject();

  const pump: ObjectSpec = {
    id: 32769,
    definition: VENDOR,
    instances: [{ id: 0, values: { 1: 100 } }],
    maxInstances: 2,
    handler: {
      read({ instanceId, resourceId }): ReadValue | Promise<ReadValue> {
        if (resourceId === 0) return 1.5 + instanceId;
        if (resourceId !== 4) return undefined;
        pressureCalls++;
        if (pressure === 'throw') throw new Error('sensor bus stuck');
        if (pressure === 'now') return 2.25;
        if (pressure === 'later') return new Promise<Value>((r) => setTimeoutVirtual(() => r(3.5), 500));
        return new Promise<Value>(() => {});
      },
      write({ instanceId, values: v }) {
        if (v.get(3) === 'locked') return { code: 0x86 /* 4.06 */, reason: 'label locked' };
        for (const [rid, x] of v) writes.push([instanceId, rid, x]);
      },
      execute({ instanceId, args }) {
        executed.push({ iid: instanceId, args });
      },
      create({ instanceId }) {
        created.push(instanceId);
      },
      delete({ instanceId }) {
        if (instanceId === 0) return { code: 0x85, reason: 'the first pump stays' };
        deleted.push(instanceId);
      },
    },
  };
  let setTimeoutVirtual: (f: () => void, ms: number) => void = () => {};

  before(async () => {
    h = await openRig({
      kind: 'memory',
      bootstrap: 'factory',
      registered: true,
      endpointName: 'objects-1',
      log: recordingLog(logs),
      models: new Map([[32769, VENDOR]]),
      client: {
        readTimeout: 2000,
        objects: [
          temperature.spec,
          outputObject({ id: 3311, initial: { 5850: false, 5851: 0 }, onWrite: (iid, rid, v) => writes.push([iid, rid, v]) }),
          button.spec,
          pump,
        ],
      },
    });
    setTimeoutVirtual = (f, ms) => {
      h.timers.setTimeout(f, ms);
    };
  });
  after(async () => {
    await h?.close();
  });
  beforeEach(() => {
    logs.length = 0;
    writes.length = 0;
  });

  it('registers the application objects with their instances and versions', () => {
    const reg = h.server.clients.get(ep())!;
    const targets = reg.links.map((l) => l.target);
    for (const t of ['/3303/0', '/3311/0', '/3347/0', '/32769/0']) assert.ok(targets.includes(t), `${t} in ${targets.join(',')}`);
  });

  it('reads a sensor the application feeds: value, min/max measured, range, units; Reset Min and Max', async () => {
    temperature.set(21.5);
    temperature.set(19);
    temperature.set(20.25);
    const r = await h.settle(h.server.read(ep(), '/3303/0', ContentFormat.SENML_CBOR));
    assert.equal(r.code, '2.05');
    assert.deepEqual(values(r), {
      '/3303/0/5601': 19,
      '/3303/0/5602': 21.5,
      '/3303/0/5603': -40,
      '/3303/0/5604': 125,
      '/3303/0/5700': 20.25,
      '/3303/0/5701': 'Cel',
    });
    assert.equal((await h.settle(h.server.execute(ep(), '/3303/0/5605'))).code, '2.04');
    const after = values(await h.settle(h.server.read(ep(), '/3303/0', ContentFormat.SENML_CBOR)));
    assert.equal(after['/3303/0/5601'], 20.25);
    assert.equal(after['/3303/0/5602'], 20.25);
  });

  it('Discover /3303/0 lists the resources the sensor serves, its executable included, and no others', async () => {
    const l = linkList((await h.settle(h.server.discover(ep(), '/3303/0'))).links);
    assert.deepEqual(l, [
      '/3303/0',
      '/3303/0/5601',
      '/3303/0/5602',
      '/3303/0/5603',
      '/3303/0/5604',
      '/3303/0/5605',
      '/3303/0/5700',
      '/3303/0/5701',
    ]);
  });

  it('notifies an observer of the sensor value as its attributes allow (pmin, pmax, st)', async () => {
    assert.equal((await h.settle(h.server.writeAttributes(ep(), '/3303/0/5700', { pmin: 1, pmax: 60, st: 1 }))).code, '2.04');
    const seen: unknown[] = [];
    const o = await h.settle(h.server.observe(ep(), '/3303/0/5700', (r) => seen.push(values(r)['/3303/0/5700']), ContentFormat.TEXT));
    assert.equal(o.first.code, '2.05');
    temperature.set(20.5); // below st: no notification
    await h.advance(2000);
    assert.deepEqual(seen, []);
    temperature.set(22);
    await h.advance(2000);
    assert.deepEqual(seen, [22]);
    await h.settle(o.cancel());
  });

  it('hands a valid Write of an output to the application callback and stores it; Read shows it', async () => {
    const w = await h.settle(h.server.write(ep(), '/3311/0/5850', true, { format: ContentFormat.TEXT }));
    assert.equal(w.code, '2.04');
    assert.deepEqual(writes, [[0, 5850, true]]);
    assert.equal(values(await h.settle(h.server.read(ep(), '/3311/0/5850', ContentFormat.TEXT)))['/3311/0/5850'], true);
  });

  it('answers a Write of the wrong type or out of range 4.00 with the reason, a read-only resource 4.05; nothing changes', async () => {
    const bad = await h.settle(
      h.server.request(ep(), {
        method: Code.PUT,
        path: ['3311', '0', '5851'],
        contentFormat: ContentFormat.TEXT,
        payload: utf8Encode('bright'),
      }),
    );
    assert.equal(bad.code, '4.00');
    assert.ok((bad.text ?? '').length > 0, 'with the reason');
    const range = await h.settle(h.server.write(ep(), '/3311/0/5851', 150, { format: ContentFormat.TEXT }));
    assert.equal(range.code, '4.00');
    assert.match(range.text ?? '', /150 outside 0\.\.100/);
    const long = await h.settle(h.server.write(ep(), '/32769/0/3', 'a label too long', { format: ContentFormat.TEXT }));
    assert.equal(long.code, '4.00');
    assert.match(long.text ?? '', /16 bytes outside 0\.\.8 bytes/);
    const ro = await h.settle(h.server.write(ep(), '/3303/0/5700', 1, { format: ContentFormat.TEXT }));
    assert.equal(ro.code, '4.05');
    assert.deepEqual(writes, [], 'the application heard of none of them');
    assert.equal(values(await h.settle(h.server.read(ep(), '/3311/0/5851', ContentFormat.TEXT)))['/3311/0/5851'], 0);
    assert.ok(
      logs.some((l) => /4\.00 .*150 outside/.test(l)),
      'one log line says why',
    );
  });

  it('lets the handler refuse a Write (its code and reason), and stores nothing of it', async () => {
    const w = await h.settle(
      h.server.write(ep(), '/32769/0', [rec('/32769/0/1', 5), rec('/32769/0/3', 'locked')], { format: ContentFormat.SENML_CBOR }),
    );
    assert.equal(w.code, '4.06');
    assert.equal(w.text, 'label locked');
    assert.equal(values(await h.settle(h.server.read(ep(), '/32769/0/1', ContentFormat.TEXT)))['/32769/0/1'], 100);
  });

  it('answers 5.00 with one log line when a read handler throws, and keeps serving', async () => {
    pressure = 'throw';
    const r = await h.settle(h.server.read(ep(), '/32769/0/4', ContentFormat.TEXT));
    assert.equal(r.code, '5.00');
    assert.equal(logs.filter((l) => /sensor bus stuck/.test(l)).length, 1, "the handler's message, once, in the log");
    assert.equal(r.text, 'read handler of /32769/0/4 failed', 'not in the answer');
    assert.equal((await h.settle(h.server.read(ep(), '/3/0'))).code, '2.05');
    pressure = 'now';
    assert.equal(values(await h.settle(h.server.read(ep(), '/32769/0/4', ContentFormat.TEXT)))['/32769/0/4'], 2.25);
  });

  it('waits for an asynchronous read, and bounds one that never answers (5.03), then asks the handler afresh', async () => {
    pressure = 'later';
    const later = await h.settle(h.server.read(ep(), '/32769/0/4', ContentFormat.TEXT));
    assert.equal(later.code, '2.05');
    assert.equal(values(later)['/32769/0/4'], 3.5);
    pressure = 'never';
    const t0 = h.timers.now();
    const never = await h.settle(h.server.read(ep(), '/32769/0/4', ContentFormat.TEXT));
    assert.equal(never.code, '5.03');
    assert.ok(h.timers.now() - t0 >= 2000 && h.timers.now() - t0 < 4000, `answered after ${h.timers.now() - t0} ms`);
    const calls = pressureCalls;
    pressure = 'now';
    assert.equal(values(await h.settle(h.server.read(ep(), '/32769/0/4', ContentFormat.TEXT)))['/32769/0/4'], 2.25);
    assert.equal(pressureCalls, calls + 1, 'the abandoned read is not joined');
  });

  it('runs an Execute with its arguments parsed (Core §5.4.5); malformed arguments get 4.00', async () => {
    executed.length = 0;
    assert.equal((await h.settle(h.server.execute(ep(), '/32769/0/2', "0,1='fast'"))).code, '2.04');
    assert.deepEqual(executed, [{ iid: 0, args: [{ digit: 0 }, { digit: 1, value: 'fast' }] }]);
    assert.equal((await h.settle(h.server.execute(ep(), '/32769/0/2', 'fast'))).code, '4.00');
    assert.equal((await h.settle(h.server.execute(ep(), '/32769/0/2', "1='no end"))).code, '4.00');
    assert.equal(executed.length, 1);
  });

  it('creates and deletes instances of an application object within its bound; past it, nothing is half-created', async () => {
    const c = await h.settle(h.server.create(ep(), '/32769', [rec('/32769/1/1', 7)]));
    assert.equal(c.code, '2.01');
    assert.deepEqual(created, [1]);
    assert.equal(values(await h.settle(h.server.read(ep(), '/32769/1/0', ContentFormat.TEXT)))['/32769/1/0'], 2.5);
    const over = await h.settle(h.server.create(ep(), '/32769', [rec('/32769/2/1', 8)]));
    assert.equal(over.code, '5.03');
    assert.deepEqual(created, [1], 'the handler was not asked');
    assert.equal((await h.settle(h.server.read(ep(), '/32769/2'))).code, '4.04');
    assert.equal((await h.settle(h.server.delete(ep(), '/32769/0'))).code, '4.05', 'the handler refused');
    assert.equal((await h.settle(h.server.delete(ep(), '/32769/1'))).code, '2.02');
    assert.deepEqual(deleted, [1]);
    assert.equal((await h.settle(h.server.read(ep(), '/32769/1'))).code, '4.04');
    assert.equal(
      (await h.settle(h.server.create(ep(), '/3303', [rec('/3303/1/5700', 1)]))).code,
      '5.03',
      'the sensor has its one instance',
    );
  });

  it('refuses through a DM Write what Bootstrap-Finish refuses: Lifetime ≤ 0, a Binding without U, a UTC Offset that is not ISO 8601', async () => {
    const w = (path: string, v: string | number) =>
      h.settle(
        h.server.request(ep(), {
          method: Code.PUT,
          path: path.split('/').slice(1),
          contentFormat: ContentFormat.TEXT,
          payload: utf8Encode(String(v)),
        }),
      );
    const lifetime = values(await h.settle(h.server.read(ep(), '/1/0/1', ContentFormat.TEXT)))['/1/0/1'];
    for (const [path, v, why] of [
      ['/1/0/1', -5, /must be > 0/],
      ['/1/0/1', 0, /must be > 0/],
      ['/1/0/7', 'XYZ', /bad binding/],
      ['/1/0/7', 'S', /no UDP/],
      ['/3/0/14', 'hello', /UTC Offset/],
      ['/3/0/14', '+25:00', /UTC Offset/],
    ] as const) {
      const r = await w(path, v);
      assert.equal(r.code, '4.00', `${path} ${v}`);
      assert.match(r.text ?? '', why);
    }
    assert.equal(values(await h.settle(h.server.read(ep(), '/1/0/1', ContentFormat.TEXT)))['/1/0/1'], lifetime, 'unchanged');
    for (const [path, v] of [
      ['/1/0/7', 'UQ'],
      ['/3/0/14', '+02'],
      ['/3/0/14', '-05:30'],
      ['/3/0/14', 'Z'],
    ] as const) {
      assert.equal((await w(path, v)).code, '2.04', `${path} ${v}`);
    }
    assert.equal((await w('/1/0/7', 'U')).code, '2.04');
  });

  it('counts presses of a push button', async () => {
    button.input(true);
    button.input(false);
    button.input(true);
    const r = values(await h.settle(h.server.read(ep(), '/3347/0', ContentFormat.SENML_CBOR)));
    assert.equal(r['/3347/0/5500'], true);
    assert.equal(r['/3347/0/5501'], 2);
  });
});

describe('dm: Reboot and Factory Reset on a platform without a restart of its own (in-process)', function () {
  let h: Rig;
  afterEach(async () => {
    await h?.close();
  });

  async function openWithStore(): Promise<Rig> {
    const store = RecordStore.mount(new MemoryFlash({ byteLength: 16384, blockSize: 4096 }), {});
    return openRig({
      kind: 'memory',
      registered: true,
      endpointName: 'reboot-1',
      persistence: storePersistence(store, { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} }),
    });
  }

  const registrations = () => h.serverEvents[0]!.filter((e) => e.type === 'registered').length;
  const bootstraps = () => h.bsEvents.filter((e) => e.type === 'request').length;

  it('Reboot (/3/0/4): 2.04 first, then the client registers again from its stored configuration without bootstrapping', async () => {
    h = await openWithStore();
    assert.equal((await h.settle(h.server.write(h.endpointName, '/3/0/14', '+02:00', { format: ContentFormat.TEXT }))).code, '2.04');
    const [regs, bs] = [registrations(), bootstraps()];
    assert.equal((await h.settle(h.server.execute(h.endpointName, '/3/0/4'))).code, '2.04');
    await h.clock!.runUntil(() => registrations() > regs, 60_000);
    assert.equal(registrations(), regs + 1);
    assert.equal(bootstraps(), bs, 'no Bootstrap-Request');
    assert.equal(values(await h.settle(h.server.read(h.endpointName, '/3/0/14', ContentFormat.TEXT)))['/3/0/14'], '+02:00');
  });

  it('Factory Reset (/3/0/5): 2.04 first, then the stored configuration is gone and the client bootstraps again', async () => {
    h = await openWithStore();
    assert.equal((await h.settle(h.server.write(h.endpointName, '/3/0/14', '+02:00', { format: ContentFormat.TEXT }))).code, '2.04');
    const [regs, bs] = [registrations(), bootstraps()];
    assert.equal((await h.settle(h.server.execute(h.endpointName, '/3/0/5'))).code, '2.04');
    await h.clock!.runUntil(() => registrations() > regs, 120_000);
    assert.equal(bootstraps(), bs + 1, 'bootstrapped again');
    assert.equal(registrations(), regs + 1);
    assert.equal(
      values(await h.settle(h.server.read(h.endpointName, '/3/0/14', ContentFormat.TEXT)))['/3/0/14'],
      '+00:00',
      'back to the factory value',
    );
  });
});
