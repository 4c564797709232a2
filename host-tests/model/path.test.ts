import { strict as assert } from 'node:assert';
import { parsePath, formatPath, pathDepth, coerceValue, INT64_MAX, UINT64_MAX } from '../../firmware/model/index';

describe('model: paths', () => {
  it('parses text and Uri-Path forms at every depth', () => {
    assert.deepEqual(parsePath('/'), {});
    assert.deepEqual(parsePath([]), {});
    assert.deepEqual(parsePath('/3'), { objectId: 3 });
    assert.deepEqual(parsePath('/3/0/1'), { objectId: 3, instanceId: 0, resourceId: 1 });
    assert.deepEqual(parsePath(['3', '0', '1', '2']), { objectId: 3, instanceId: 0, resourceId: 1, resourceInstanceId: 2 });
    assert.deepEqual(parsePath('/65534'), { objectId: 65534 });
  });

  it('rejects reserved ids, signs, empty segments, depth > 4 and non-decimal text', () => {
    for (const p of [
      '',
      '3/0',
      '/65535',
      '/+3',
      '/-1',
      '/3//1',
      '/3/0/',
      '//',
      '/3/0/1/2/3',
      '/0x3',
      '/3a',
      '/1e2',
      '/03',
      '/ 3',
      '/99999999',
    ])
      assert.equal(parsePath(p), undefined, p);
    assert.equal(parsePath(['3', '']), undefined);
    assert.equal(parsePath(['1', '2', '3', '4', '5']), undefined);
  });

  it('formats and measures depth', () => {
    assert.equal(formatPath({}), '/');
    assert.equal(formatPath({ objectId: 3, instanceId: 0, resourceId: 1 }), '/3/0/1');
    assert.equal(pathDepth({ objectId: 3, instanceId: 0 }), 2);
    assert.equal(pathDepth({ objectId: 1, instanceId: 2, resourceId: 3, resourceInstanceId: 4 }), 4);
  });
});

describe('model: coerceValue', () => {
  const ok = (t: Parameters<typeof coerceValue>[0], v: unknown) => {
    const r = coerceValue(t, v);
    assert.ok(r.ok, `${t} ${String(v)}`);
    return r.value;
  };
  const bad = (t: Parameters<typeof coerceValue>[0], v: unknown) => assert.equal(coerceValue(t, v).ok, false, `${t} ${String(v)}`);

  it('normalises integers to number when safe, bigint beyond, within int64/uint64', () => {
    assert.equal(ok('integer', '42'), 42);
    assert.equal(ok('integer', 2n ** 40n), 2 ** 40);
    assert.equal(ok('integer', INT64_MAX), INT64_MAX);
    assert.equal(ok('unsigned', UINT64_MAX), UINT64_MAX);
    bad('integer', 2n ** 63n);
    bad('unsigned', -1);
    bad('integer', 1.5);
    bad('integer', '1.5');
    assert.equal(ok('time', 1367491215), 1367491215);
  });

  it('checks floats, booleans, objlnk, strings, opaque and none', () => {
    assert.equal(ok('float', '1.5e3'), 1500);
    bad('float', 'abc');
    assert.equal(ok('boolean', '1'), true);
    assert.equal(ok('boolean', false), false);
    bad('boolean', '2');
    assert.deepEqual(ok('objlnk', '3:0'), { objectId: 3, instanceId: 0 });
    assert.deepEqual(ok('objlnk', { objectId: 65535, instanceId: 65535 }), { objectId: 65535, instanceId: 65535 });
    bad('objlnk', '3:65536');
    bad('objlnk', { objectId: -1, instanceId: 0 });
    assert.equal(ok('string', new Uint8Array([0x68, 0x69])), 'hi');
    bad('string', new Uint8Array([0xff]));
    bad('opaque', 'x');
    assert.equal(ok('none', null), null);
    bad('none', 'x');
  });
});
