// The xs-lwm2m command line: clear errors for bad arguments, and the demo.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('xs-lwm2m CLI', () => {
  it('prints usage for help', () => {
    const r = run('help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /usage: xs-lwm2m <command>/);
  });

  for (const [args, msg] of [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['client'], /client needs --endpoint/],
    [['client', '--endpoint', 'a'], /needs --bootstrap <uri> or --server <uri>/],
    [['client', '--endpoint', 'a', '--bootstrap', 'http://x'], /is not a coap:\/\/ URI/],
    [['client', '--endpoint', 'a', '--bootstrap', 'coaps://x:5684'], /coaps needs DTLS/],
    [['server', '--port', '70000'], /--port must be 0\.\.65535/],
    [['bootstrap-server'], /needs --config/],
    [['bootstrap-server', '--config', '/nonexistent.json'], /cannot use \/nonexistent\.json/],
    [['server', '--log', 'loud'], /--log must be/],
  ] as Array<[string[], RegExp]>) {
    it(`rejects ${args.join(' ')} with exit code 2`, () => {
      const r = run(...args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, msg);
    });
  }

  it('demo --once bootstraps, registers, reads /3/0 and exits 0', () => {
    const r = run('demo', '--once');
    assert.equal(r.status, 0, r.stderr);
    for (const line of [/Bootstrap-Request from xs-lwm2m-demo/, /Delete\s+\/\s+→ 2\.02/, /Write\s+\/0\s+→ 2\.04/, /Finish\s+\/bs\s+→ 2\.04/,
      /consistency check: consistent, committed/, /registered xs-lwm2m-demo at \/rd\//, /Read \/3\/0 → 2\.05/, /\/3\/0\/0 = "xs-lwm2m"/]) {
      assert.match(r.stdout, line);
    }
  });
});
