// The range a DDF gives a resource (RangeEnumeration), checked before a Write is stored.
import assert from 'node:assert/strict';
import { rangeProblem } from '../../firmware/lwm2m/objects/value-checks';
import type { ResourceDef } from '../../firmware/model/types';

const res = (type: ResourceDef['type'], rangeEnumeration?: string): ResourceDef => ({
  id: 1,
  name: 'r',
  operations: 'RW',
  multiple: false,
  mandatory: false,
  type,
  rangeEnumeration,
});

describe('value checks (DDF RangeEnumeration)', () => {
  it('bounds numbers by a..b, negative and fractional bounds included', () => {
    assert.equal(rangeProblem(res('integer', '0..100'), 100), undefined);
    assert.match(rangeProblem(res('integer', '0..100'), 101)!, /101 outside 0\.\.100/);
    assert.match(rangeProblem(res('integer', '1..65534'), 0)!, /outside/);
    assert.equal(rangeProblem(res('float', '-40..85'), -40), undefined);
    assert.match(rangeProblem(res('float', '0..1'), 1.5)!, /outside/);
    assert.match(rangeProblem(res('unsigned', '0..3'), 4n)!, /outside/);
  });

  it('bounds string and opaque lengths in bytes (UTF-8), a single number being the longest allowed', () => {
    assert.equal(rangeProblem(res('string', '0..8 bytes'), 'eight888'), undefined);
    assert.match(rangeProblem(res('string', '0..8 bytes'), 'nine99999')!, /9 bytes outside/);
    assert.match(rangeProblem(res('string', '0..2 bytes'), 'é€')!, /5 bytes/);
    assert.equal(rangeProblem(res('string', '32 bytes'), 'a'.repeat(32)), undefined);
    assert.match(rangeProblem(res('string', '32 bytes'), 'a'.repeat(33))!, /longer than/);
    assert.equal(rangeProblem(res('opaque', '16,32,48'), new Uint8Array(32)), undefined);
    assert.match(rangeProblem(res('opaque', '16,32,48'), new Uint8Array(20))!, /not one of/);
  });

  it('takes an enumeration of numbers', () => {
    assert.equal(rangeProblem(res('integer', '0,1,2'), 2), undefined);
    assert.match(rangeProblem(res('integer', '0,1,2'), 3)!, /not one of 0,1,2/);
  });

  it("leaves alone what is not a checkable range: prose, a number's size in bytes, no range", () => {
    assert.equal(rangeProblem(res('string', 'The possible values are those listed in the LwM2M Core Specification'), 'XYZ'), undefined);
    assert.equal(rangeProblem(res('integer', '1 bytes'), 200), undefined);
    assert.equal(rangeProblem(res('integer'), -5), undefined);
    assert.equal(rangeProblem(res('boolean', '0..1'), true), undefined);
  });
});
