// The server prompt's `update <ep> <file> [push|pull]` end to end on loopback
// with the Node client (host/runtime.ts startNodeDevice and its file-backed
// slot): a 256 KiB host image pushed and pulled, the client restarting into
// it and reporting Update Result 1 with the new /3/0/3; and the failures a
// user can cause, each one line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { LwM2MServer } from '../../host/lwm2m-server';
import { startNodeDevice, type NodeDevice } from '../../host/runtime';
import type { Shell } from '../../host/shell';
import { PromptDriver } from '../support/prompt-driver';
import { testImage } from './support/images';

const EP = 'fota-1';
const KiB = 1024;

describe('server prompt: update <ep> <file> [push|pull] with the Node client', function () {
  this.timeout(60_000);
  let server: LwM2MServer;
  let serverPort = 0;
  let device: NodeDevice;
  let shell: Shell;
  const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-prompt-update-'));
  const prompt = new PromptDriver();
  const { lines } = prompt;
  const until = (pred: () => boolean) => prompt.until(pred);
  const cmd = (line: string) => prompt.cmd(line);
  const file = (name: string, bytes: Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const registered = () =>
    new Promise<void>((resolve) => {
      const l = (e: { type: string; reg?: { endpoint: string } }) => {
        if (e.type === 'registered' && e.reg?.endpoint === EP) {
          server.listeners.delete(l);
          resolve();
        }
      };
      server.listeners.add(l);
    });

  before(async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    serverPort = udp.port;
    server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
    const first = registered();
    device = await startNodeDevice({
      endpointName: EP,
      serverUri: `coap://127.0.0.1:${udp.port}`,
      log: silentLogger,
      stateDir: join(dir, 'state'),
      // 300 KiB slots; an image whose version is "no-boot" crashes before it registers.
      firmware: { dir: join(dir, 'fw'), capacity: 300 * KiB, starts: (info) => info.version !== 'no-boot' },
    });
    await first;
    await new Promise((r) => setTimeout(r, 50));
    shell = prompt.start(server);
    await until(() => prompt.prompts === 1);
  });

  after(async () => {
    shell?.close();
    await device?.stop();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const l of lines) assert.doesNotMatch(l, /^\s+at |Error:|undefined/, `no stack trace or raw error: ${l}`);
  });

  it('reports the factory version before any update, and lists /5/0 among the objects', async () => {
    assert.equal(device.version, '0.1.0');
    assert.ok(server.clients.get(EP)!.links.some((l) => l.target === '/5/0'));
  });

  it('push: writes the image to /5/0/0 with Block1, executes Update once Downloaded; the client restarts and reports 1 with the new version', async () => {
    const img = file('fw-2.0.0.img', testImage('2.0.0', 256 * KiB));
    const out = await cmd(`update ${EP} ${img}`);
    const at = (re: RegExp) => out.findIndex((l) => re.test(l));
    assert.match(
      out[0],
      new RegExp(
        `^update ${EP}: pushing .*fw-2\\.0\\.0\\.img \\(262144 bytes, host image "xs-lwm2m-node" version "2\\.0\\.0"\\) to /5/0/0$`,
      ),
    );
    const order = [
      /State = Downloading \(1\)$/,
      /Write \/5\/0\/0 Package → 2\.04 Changed$/,
      /Execute \/5\/0\/2 Update → 2\.04 Changed$/,
      /registered again$/,
      /Update Result = Firmware updated successfully \(1\)$/,
      /\/3\/0\/3 Firmware Version = "2\.0\.0"$/,
      /: done, Firmware updated successfully \(1\)$/,
    ];
    const idx = order.map(at);
    assert.ok(
      idx.every((i) => i >= 0),
      out.join('\n'),
    );
    assert.ok(at(/State = Downloaded \(2\)$/) >= 0, out.join('\n'));
    assert.deepEqual(
      [...idx].sort((a, b) => a - b),
      idx,
      `in this order:\n${out.join('\n')}`,
    );
    assert.equal(device.version, '2.0.0');
    assert.equal(device.restarts, 1);
    assert.equal(device.slot!.boot, 'trial', 'booted on trial…');
    assert.equal(device.slot!.state.trial, false, '…and confirmed once registered');
  });

  it('pull: serves the image here and writes its coap:// URI (with #sha256=) to /5/0/1; the client downloads it and ends on 1', async () => {
    const img = file('fw-3.0.0.img', testImage('3.0.0', 256 * KiB));
    const out = await cmd(`update ${EP} ${img} pull`);
    assert.match(
      out[0],
      new RegExp(
        `^update ${EP}: serving .*fw-3\\.0\\.0\\.img \\(262144 bytes, host image "xs-lwm2m-node" version "3\\.0\\.0"\\); Package URI coap://127\\.0\\.0\\.1:${serverPort}/fw/fw-3\\.0\\.0\\.img#sha256=[0-9a-f]{64}$`,
      ),
    );
    assert.ok(
      out.some((l) => /Write \/5\/0\/1 Package URI → 2\.04 Changed$/.test(l)),
      out.join('\n'),
    );
    assert.ok(
      out.some((l) => /State = Downloaded \(2\)$/.test(l)),
      out.join('\n'),
    );
    assert.equal(out.at(-1), `update ${EP}: done, Firmware updated successfully (1)`, out.join('\n'));
    assert.equal(device.version, '3.0.0');
    assert.equal((await server.read(EP, '/3/0/3')).records?.[0]?.value, '3.0.0');
    assert.equal(server.unserveFile('fw-3.0.0.img'), false, 'no longer served once the update is over');
  });

  it('a file that is not a host image: one line with Update Result 6, the running firmware untouched', async () => {
    const junk = file('junk.bin', new Uint8Array(5000).fill(0x41));
    const out = await cmd(`update ${EP} ${junk}`);
    assert.match(out.at(-1)!, new RegExp(`^update ${EP}: failed: .*Unsupported package type \\(6\\)`), out.join('\n'));
    assert.equal(device.version, '3.0.0');
    assert.equal(device.restarts, 2);
  });

  it('an image whose SHA-256 trailer does not match: Update Result 5 (pull)', async () => {
    const img = testImage('4.0.0', 64 * KiB);
    img[1000] ^= 0xff;
    const out = await cmd(`update ${EP} ${file('bad-sum.img', img)} pull`);
    assert.equal(out.at(-1), `update ${EP}: failed: download failed, Update Result = Integrity check failure (5)`, out.join('\n'));
    assert.equal(device.version, '3.0.0');
  });

  it('an image larger than the slot: Update Result 2 (push)', async () => {
    const out = await cmd(`update ${EP} ${file('big.img', testImage('5.0.0', 400 * KiB))}`);
    assert.match(out.at(-1)!, new RegExp(`^update ${EP}: failed: .*Not enough flash memory \\(2\\)`), out.join('\n'));
  });

  it('an image that does not start: the device rolls back to the running firmware and reports Update Result 8', async () => {
    const out = await cmd(`update ${EP} ${file('no-boot.img', testImage('no-boot', 32 * KiB))}`);
    assert.ok(
      out.some((l) => /registered again$/.test(l)),
      out.join('\n'),
    );
    assert.equal(out.at(-1), `update ${EP}: failed: update failed, Update Result = Firmware update failed (8)`, out.join('\n'));
    assert.equal(device.version, '3.0.0');
    assert.equal(device.slot!.boot, 'rolled-back');
    assert.equal((await server.read(EP, '/3/0/3')).records?.[0]?.value, '3.0.0');
  });

  it('mistakes in the command line get one line each, and nothing is sent', async () => {
    assert.deepEqual(await cmd('update'), ['usage: update <ep> <file> [push|pull]']);
    assert.deepEqual(await cmd(`update ${EP}`), ['usage: update <ep> <file> [push|pull]']);
    assert.deepEqual(await cmd(`update ${EP} ${join(dir, 'nothing.img')}`), [`cannot read ${join(dir, 'nothing.img')}: no such file`]);
    assert.deepEqual(await cmd(`update ${EP} ${join(dir, 'junk.bin')} sideways`), ['"sideways" is not push or pull']);
    assert.deepEqual(await cmd(`update nobody ${join(dir, 'junk.bin')}`), ['nobody is not registered; list shows who is']);
  });
});
