import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { loadDdfs, renderTable, GENERATED_PATH } from '../../build/gen-objects';
import { getObjectDef, registeredObjectIds, getResourceDef } from '../../firmware/model/index';

describe('model: object table ↔ OMA DDF files', () => {
  it('the committed objects.generated.ts equals a fresh generation from build/ddf', () => {
    assert.equal(readFileSync(GENERATED_PATH, 'utf8'), renderTable(loadDdfs()));
  });

  it('every object and resource attribute matches its DDF', () => {
    for (const o of loadDdfs()) {
      const d = getObjectDef(o.id)!;
      assert.ok(d, `object ${o.id}`);
      assert.deepEqual(
        [d.name, d.version, d.lwm2mVersion, d.urn, d.multiple, d.mandatory],
        [o.name, o.version, o.lwm2mVersion, o.urn, o.multiple, o.mandatory],
      );
      assert.equal(d.resources.size, o.resources.length);
      for (const r of o.resources) {
        const x = d.resources.get(r.id)!;
        assert.deepEqual(
          [x.name, x.operations, x.multiple, x.mandatory, x.type, x.rangeEnumeration ?? '', x.units ?? ''],
          [r.name, r.operations, r.multiple, r.mandatory, r.type, r.rangeEnumeration, r.units],
          `/${o.id}/${r.id}`,
        );
      }
    }
  });

  it('covers objects 0-5 with the chosen versions and known resource facts', () => {
    assert.deepEqual(registeredObjectIds().slice(0, 6), [0, 1, 2, 3, 4, 5]);
    assert.equal(getObjectDef(0)!.version, '1.1');
    assert.equal(getObjectDef(1)!.version, '1.1');
    assert.equal(getObjectDef(3)!.version, '1.1');
    assert.equal(getObjectDef(3)!.multiple, false);
    assert.equal(getResourceDef(0, 1)!.type, 'boolean'); // Bootstrap-Server
    assert.equal(getResourceDef(0, 10)!.type, 'integer'); // Short Server ID
    assert.equal(getResourceDef(1, 1)!.operations, 'RW'); // Lifetime
    assert.equal(getResourceDef(3, 4)!.type, 'none'); // Reboot (Execute)
    assert.equal(getResourceDef(3, 4)!.operations, 'E');
    assert.equal(getResourceDef(3, 6)!.multiple, true);
    assert.equal(getResourceDef(3, 13)!.type, 'time');
    assert.equal(getResourceDef(2, 2)!.multiple, true);
    assert.equal(getObjectDef(99), undefined);
  });
});
