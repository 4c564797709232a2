// The command line's Firmware Update parts: `xs-lwm2m image` builds a host
// image from a file, and `xs-lwm2m demo --update [push|pull] --once` runs a
// whole update of the demo's Node client and exits 0 when it ends on
// Update Result 1 with the new version in /3/0/3.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrailerCheck, hostImageFormat } from '../../firmware/lwm2m/firmware-update/image';
import { nodeSha256Stream } from '../../firmware/platform/node/crypto';

const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('xs-lwm2m image', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-image-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('builds a host image: header with name and version, the body, its SHA-256 trailer', () => {
    const body = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
    writeFileSync(join(dir, 'body.bin'), body);
    const out = join(dir, 'fw.img');
    const r = run('image', '--name', 'my-node', '--version', '2.1.0', '--in', join(dir, 'body.bin'), '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const img = new Uint8Array(readFileSync(out));
    assert.equal(img.length, 12 + 7 + 5 + 100_000 + 32);
    assert.equal(
      r.stdout,
      `${out}: host image "my-node" version "2.1.0", ${img.length} bytes (body 100000), SHA-256 ${createHash('sha256').update(img).digest('hex')}\n`,
    );
    const head = hostImageFormat.inspect(img.subarray(0, hostImageFormat.headerLength));
    assert.deepEqual(head, { ok: true, info: { name: 'my-node', version: '2.1.0', size: img.length } });
    assert.deepEqual(img.subarray(24, 24 + 100_000), body);
    const check = new TrailerCheck(nodeSha256Stream());
    for (let i = 0; i < img.length; i += 777) check.update(img.subarray(i, i + 777));
    assert.equal(check.verify(), true);
  });

  it('names the image xs-lwm2m when --name is not given', () => {
    const out = join(dir, 'default.img');
    assert.equal(run('image', '--version', '1', '--in', join(dir, 'body.bin'), '--out', out).status, 0);
    const head = hostImageFormat.inspect(new Uint8Array(readFileSync(out)).subarray(0, hostImageFormat.headerLength));
    assert.equal(head.ok && head.info.name, 'xs-lwm2m');
  });

  it('refuses what it cannot build, with one line and exit 2 (usage) or 1 (files)', () => {
    const body = join(dir, 'body.bin'),
      out = join(dir, 'x.img');
    const cases: Array<[string[], number, RegExp]> = [
      [['image', '--in', body, '--out', out], 2, /^xs-lwm2m: image needs --version <v>\n/],
      [['image', '--version', '1', '--out', out], 2, /^xs-lwm2m: image needs --in <body file>\n/],
      [['image', '--version', '1', '--in', body], 2, /^xs-lwm2m: image needs --out <file>\n/],
      [
        ['image', '--version', 'x'.repeat(33), '--in', body, '--out', out],
        2,
        /^xs-lwm2m: --version must be 1 to 32 printable ASCII characters, not "x{33}"\n/,
      ],
      [
        ['image', '--version', '1', '--name', 'naïve', '--in', body, '--out', out],
        2,
        /^xs-lwm2m: --name must be 1 to 32 printable ASCII characters/,
      ],
      [['image', '--version', '1', '--in', join(dir, 'missing.bin'), '--out', out], 1, /^xs-lwm2m: cannot read .*missing\.bin: ENOENT/],
      [['image', '--version', '1', '--in', body, '--out', join(dir, 'no-dir', 'x.img')], 1, /^xs-lwm2m: cannot write .*x\.img: ENOENT/],
      [['image', '--version', '1', '--in', body, '--out', out, '--port', '5'], 2, /--port is an option of .*, not of image/],
    ];
    for (const [args, status, re] of cases) {
      const r = run(...args);
      assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.equal(existsSync(out), false, 'nothing written');
  });

  it('image --help prints its usage and exits 0', () => {
    const r = run('image', '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^usage: xs-lwm2m image --version <v> --in <body> --out <file> \[--name <name>\]/);
  });
});

describe('xs-lwm2m demo --update', function () {
  this.timeout(90_000);
  for (const how of ['push', 'pull'] as const) {
    it(`--update ${how} --once: the server ${how === 'push' ? 'pushes' : 'serves'} a new host image, the client restarts into it and reports 1 with 0.2.0 in /3/0/3; exit 0`, () => {
      const r = run('demo', '--update', how, '--once');
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const out = r.stdout;
      const steps = [
        /Read \/3\/0 → 2\.05 Content/,
        /\/3\/0\/3 Firmware Version\s+= "0\.1\.0"/,
        new RegExp(`Firmware Update: ${how} of host image "xs-lwm2m-demo" 0\\.2\\.0 \\(\\d+ bytes\\), running 0\\.1\\.0`),
        how === 'push' ? /Write \/5\/0\/0 → 2\.04 Changed/ : /Write \/5\/0\/1 → 2\.04 Changed/,
        /State = Downloaded \(2\)/,
        /Execute \/5\/0\/2 Update → 2\.04 Changed/,
        /Update Result = Firmware updated successfully \(1\)/,
        /Read \/3\/0\/3 Firmware Version → "0\.2\.0"/,
      ];
      let at = 0;
      for (const re of steps) {
        const i = out.slice(at).search(re);
        assert.ok(i >= 0, `${re} after position ${at} in:\n${out}`);
        at += i;
      }
      // The client's restart comes between Downloaded and the result (its line may precede the Execute's 2.04).
      const restarted = out.search(/restarted \(no De-register\) into firmware 0\.2\.0, on trial until it registers/);
      assert.ok(
        restarted > out.search(/State = Downloaded \(2\)/) && restarted < out.search(/Update Result = Firmware updated successfully/),
        out,
      );
      if (how === 'pull')
        assert.match(out, /Write \/5\/0\/1 Package URI coap:\/\/127\.0\.0\.1:\d+\/fw\/xs-lwm2m-demo\.img#sha256=[0-9a-f]{64}/);
      // The restart registers from what the client stored: no second bootstrap.
      assert.equal(out.match(/Bootstrap-Request from/g)?.length, 1, out);
      assert.equal(r.stderr, '');
    });
  }

  it('--update takes push or pull only (exit 2)', () => {
    const r = run('demo', '--update', 'sideways', '--once');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^xs-lwm2m: --update takes push or pull, not "sideways"\n/);
  });
});
