// The client's content formats come from ClientOptions.formats (its codecs as ports) and type resources
// with the client's own object definitions (the one resolver), over loopback UDP with the project's server.
import assert from 'node:assert/strict';
import { builtinCborCodec, type CborCodec } from '../../firmware/formats/cbor-codec';
import { ContentFormat } from '../../firmware/formats/index';
import { objectDefs, type ObjectRow } from '../../firmware/model';
import type { ObjectSpec } from '../../firmware/lwm2m/objects/object-api';
import { openDm, values } from '../dm/helpers';
import type { Rig } from '../support/rig';

/** A vendor object the built-in definitions do not know: its Limit is an Integer. */
const VENDOR_ROWS: ObjectRow[] = [
  [32770, 'Valve', '1.0', '1.1', 'urn:oma:lwm2m:x:32770', 0, 0, [[1, 'Limit', 'RW', 0, 0, 'integer', '0..1000']]],
];
const VALVE: ObjectSpec = { id: 32770, definition: objectDefs(VENDOR_ROWS).get(32770)!, instances: [{ id: 0, values: { 1: 5 } }] };

describe('formats: the client runs on the formats instance it was given', function () {
  let h: Rig;
  const calls: string[] = [];
  const spy: CborCodec = {
    name: 'spy',
    encode: (v) => {
      calls.push('encode');
      return builtinCborCodec.encode(v);
    },
    decode: (b) => {
      calls.push('decode');
      return builtinCborCodec.decode(b);
    },
  };

  beforeEach(async () => {
    calls.length = 0;
    h = await openDm({ kind: 'udp', client: { cbor: spy, objects: [VALVE] } });
  });
  afterEach(async () => {
    await h.close();
  });

  it("answers SenML CBOR through ClientOptions.formats' CBOR codec", async () => {
    const r = await h.server.read(h.endpointName, '/3/0', ContentFormat.SENML_CBOR);
    assert.equal(r.code, '2.05');
    assert.equal(values(r)['/3/0/0'], 'xs-lwm2m');
    assert.deepEqual(calls, ['encode']);
  });

  it("types a Write with the client's own definitions, not the built-in ones", async () => {
    const w = await h.server.write(h.endpointName, '/32770/0/1', '700', { format: ContentFormat.TEXT });
    assert.equal(w.code, '2.04');
    assert.equal(h.client.running.value(32770, 0, 1), 700, 'stored as an Integer');
    const bad = await h.server.write(h.endpointName, '/32770/0/1', 'seven', { format: ContentFormat.TEXT });
    assert.equal(bad.code, '4.00', 'text that is no Integer is refused');
  });
});
