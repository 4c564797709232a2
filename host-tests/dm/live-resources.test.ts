// ObjectHandler.liveResources: a handler that names the resources it produces
// is asked for those only; the other resources are served from the stored
// values (Read, composite reads, notifications), so a Read of a whole instance
// costs one call per live value, not one per resource.
import assert from 'node:assert/strict';
import { ContentFormat } from '../../firmware/formats';
import { objectDefs, type ObjectRow } from '../../firmware/model';
import type { ObjectSpec, ReadRequest } from '../../firmware/lwm2m/objects/object-api';
import { openRig, type Rig } from '../support/rig';
import { values } from './helpers';

const ROWS: ObjectRow[] = [
  [
    32770,
    'Meter',
    '1.0',
    '1.1',
    'urn:oma:lwm2m:x:32770',
    1,
    0,
    [
      [0, 'Reading', 'R', 0, 1, 'float', '', 'kWh'],
      [1, 'Label', 'RW', 0, 0, 'string'],
      [2, 'Serial', 'R', 0, 0, 'string'],
    ],
  ],
];
const METER = objectDefs(ROWS).get(32770)!;

describe('dm: a handler asked only for the resources it produces (liveResources)', function () {
  let h: Rig;
  const asked: number[] = [];
  const meter = (live: readonly number[] | undefined): ObjectSpec => ({
    id: 32770,
    definition: METER,
    instances: [{ id: 0, values: { 1: 'hall', 2: 'M-0042' } }],
    handler: {
      ...(live === undefined ? {} : { liveResources: live }),
      read({ resourceId }: ReadRequest) {
        asked.push(resourceId);
        return resourceId === 0 ? 12.5 : undefined;
      },
    },
  });

  async function readAll(live: readonly number[] | undefined): Promise<Record<string, unknown>> {
    h = await openRig({
      kind: 'memory',
      bootstrap: 'factory',
      registered: true,
      endpointName: 'live-1',
      models: new Map([[32770, METER]]),
      client: { objects: [meter(live)] },
    });
    asked.length = 0;
    const r = await h.settle(h.server.read(h.endpointName, '/32770/0', ContentFormat.TLV));
    assert.equal(r.code, '2.05');
    return values(r);
  }
  afterEach(async () => {
    await h?.close();
  });

  it('with liveResources [0], a Read of the instance asks for resource 0 once; 1 and 2 come from the stored values', async () => {
    const v = await readAll([0]);
    assert.deepEqual(asked, [0]);
    assert.deepEqual(v, { '/32770/0/0': 12.5, '/32770/0/1': 'hall', '/32770/0/2': 'M-0042' });
    asked.length = 0;
    const one = await h.settle(h.server.read(h.endpointName, '/32770/0/2', ContentFormat.TEXT));
    assert.equal(one.text, 'M-0042');
    assert.deepEqual(asked, [], 'a stored resource is read without the handler');
  });

  it('without liveResources, the handler is asked for every readable resource, and the answer is the same', async () => {
    const v = await readAll(undefined);
    assert.deepEqual(asked, [0, 1, 2]);
    assert.deepEqual(v, { '/32770/0/0': 12.5, '/32770/0/1': 'hall', '/32770/0/2': 'M-0042' });
  });

  it("the Device object's live resource still comes from its handler (Current Time follows the clock), its identity from the store", async () => {
    h = await openRig({ kind: 'memory', bootstrap: 'factory', registered: true, endpointName: 'live-2' });
    const first = values(await h.settle(h.server.read(h.endpointName, '/3/0', ContentFormat.TLV)));
    assert.equal(first['/3/0/0'], 'Test');
    const t0 = first['/3/0/13'] as number;
    await h.advance(5000);
    const t1 = values(await h.settle(h.server.read(h.endpointName, '/3/0', ContentFormat.TLV)))['/3/0/13'] as number;
    assert.equal(t1 - t0, 5);
  });
});
