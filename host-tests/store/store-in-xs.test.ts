// The store core runs unchanged in XS (the engine of the device): the same
// workload, with power cuts and compaction, leaves byte-identical flash
// images and the same decoded instances in XS as in V8.

import assert from 'node:assert/strict';
import { bundleForXs } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { runScenario } from './xs-scenario';

describe('store: in the XS engine', function () {
  this.timeout(60_000);
  let host: XsHost | undefined;
  after(() => host?.close());

  it('gives byte-identical results to V8', async () => {
    host = await XsHost.start({ script: (await bundleForXs('host-tests/xs-harness/entries/store.ts')).code });
    const inXs = await host.callJson<unknown>('run');
    const inV8 = JSON.parse(JSON.stringify(runScenario())) as unknown;
    assert.deepEqual(inXs, inV8);
  });
});
