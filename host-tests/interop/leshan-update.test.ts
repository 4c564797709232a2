// Interop with Eclipse Leshan: Firmware Update by pull and by push (Core E.6, Object 5).
// The Leshan demo server writes Package URI (/5/0/1) to our Node client and
// executes Update (/5/0/2); the image is served over CoAP on loopback, by our
// LwM2M Server (serveFile, Block2) and by libcoap's coap-server-notls (-d: a
// resource created by a PUT of the file). Our client downloads it block by
// block, restarts into it (host/runtime.ts, file-backed slot), registers again
// and ends with Update Result 1 and the new version in /3/0/3, all read by Leshan.
// Leshan also writes the Package itself (/5/0/0, 256 KiB, Block1 as Californium
// sends it), which our client streams into the slot.
// Needs Java 17 + Maven (Leshan fetched by interop/fetch-leshan.sh); the libcoap
// case needs libcoap3-bin and is skipped without it. A summary table is printed.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import type { Logger } from '../../firmware/platform/ports';
import { LwM2MServer } from '../../host/lwm2m-server';
import { startNodeDevice, type NodeDevice } from '../../host/runtime';
import { testImage } from '../update/support/images';
import {
  LESHAN_VERSION,
  ensureLeshan,
  freeUdpPort,
  resourceValue,
  startLeshanServer,
  stopAllJava,
  type LeshanServerHandle,
} from './leshan/harness';
import { StepSummary } from './summary';

const EP = 'xs-fota-leshan';
const KiB = 1024;

const summary = new StepSummary();
const printSummary = () => summary.print(`Leshan ${LESHAN_VERSION} Firmware Update (pull and push): summary`, 'firmware update interop');

const hasBinary = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Our client's lines, kept for a failure's message. */
function recordingLogger(into: string[]): Logger {
  const put = (lvl: string) => (m: string) => {
    into.push(`${lvl} ${m}`);
  };
  return { error: put('E'), warn: put('W'), info: put('I'), debug: () => {} };
}

describe(`interop: Leshan ${LESHAN_VERSION} updates our client's firmware by Package URI and by Package`, function () {
  this.timeout(180_000);
  let leshan: LeshanServerHandle;
  let files: LwM2MServer | undefined;
  let device: NodeDevice | undefined;
  let coapServer: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-leshan-fota-'));
  const clientLog: string[] = [];

  before(async function () {
    try {
      await ensureLeshan();
    } catch (e) {
      console.log(`      skipped: ${(e as Error).message.split('\n')[0]}`);
      this.skip();
    }
    leshan = await startLeshanServer();
  });

  after(async function () {
    this.timeout(30_000);
    await device?.stop().catch(() => undefined);
    files?.close();
    coapServer?.kill('SIGKILL');
    await stopAllJava();
    rmSync(dir, { recursive: true, force: true });
    printSummary();
  });

  /**
   * Leshan reads one resource of ours; its value. In SenML CBOR, which carries the types: Leshan
   * 2.0.0-M4 models Firmware Update 1.0 only, and our client declares </5>;ver=1.2, so Leshan
   * shows what a TLV carries (no types) as opaque hex ("00").
   */
  const read = async (path: string): Promise<unknown> => {
    const r = await leshan.rest.read(EP, path, { format: 'SENML_CBOR' });
    assert.equal(r.code, '2.05', `read ${path}: ${r.status} ${r.errormessage ?? ''}`);
    return resourceValue(r.content, Number(path.split('/').pop()));
  };
  /** Polls a resource through Leshan until pred(value), bounded. */
  const poll = async (path: string, pred: (v: unknown) => boolean, ms: number): Promise<unknown> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await read(path);
      if (pred(v)) return v;
      if (Date.now() > deadline)
        throw new Error(`${path} still ${JSON.stringify(v)} after ${ms} ms; client log:\n${clientLog.slice(-15).join('\n')}`);
      await sleep(100);
    }
  };

  /** The whole pull as Leshan drives it: Write /5/0/1, Downloaded, Execute /5/0/2, a new registration, Update Result 1, /3/0/3. */
  function leshanPull(uri: string, version: string): Promise<string> {
    return leshanUpdate(() => leshan.rest.writeResource(EP, '/5/0/1', uri, { format: 'TLV' }), '/5/0/1', version);
  }

  /** The same with the delivery `deliver` (a Write of Package URI or of Package). */
  async function leshanUpdate(deliver: () => ReturnType<typeof leshan.rest.write>, what: string, version: string): Promise<string> {
    const before = (await leshan.rest.getClient(EP))!.registrationId;
    assert.equal(await read('/5/0/3'), 0, 'State Idle before');
    const w = await deliver();
    assert.equal(w.code, '2.04', `Write ${what}: ${w.status} ${w.errormessage ?? ''}`);
    const t0 = Date.now();
    await poll('/5/0/3', (v) => v === 2, 60_000);
    const downloadMs = Date.now() - t0;
    assert.equal(await read('/5/0/5'), 0, 'Update Result 0 while Downloaded');
    assert.equal(await read('/5/0/7'), version, 'PkgVersion');
    const restarted = device!.nextRestart();
    const x = await leshan.rest.execute(EP, '/5/0/2');
    assert.equal(x.code, '2.04', `Execute /5/0/2: ${x.status} ${x.errormessage ?? ''}`);
    await restarted;
    // Registered again: Leshan holds a new registration of the endpoint.
    const deadline = Date.now() + 30_000;
    while ((await leshan.rest.getClient(EP))?.registrationId === before) {
      if (Date.now() > deadline) throw new Error('no new registration at Leshan after Update');
      await sleep(100);
    }
    await sleep(100);
    await poll('/5/0/5', (v) => v !== 0, 10_000);
    assert.equal(await read('/5/0/5'), 1, 'Update Result 1');
    assert.equal(await read('/5/0/3'), 0, 'State Idle after');
    assert.equal(await read('/3/0/3'), version, '/3/0/3 is the new version');
    assert.equal(device!.version, version);
    return `downloaded in ${downloadMs} ms (polled), Update Result 1, /3/0/3 "${version}"`;
  }

  it('our client registers at Leshan with /5/0 and the factory version', async () => {
    await summary.step('register with /5/0', async () => {
      device = await startNodeDevice({
        endpointName: EP,
        serverUri: leshan.coapUri,
        log: recordingLogger(clientLog),
        stateDir: join(dir, 'state'),
        firmware: { dir: join(dir, 'fw'), capacity: 512 * KiB },
      });
      const reg = await leshan.rest.waitForRegistration(EP, 30_000);
      assert.ok(
        reg.objectLinks.some((l) => l.url === '/5/0'),
        JSON.stringify(reg.objectLinks),
      );
      assert.equal(await read('/3/0/3'), '0.1.0');
      const protocols = (await leshan.rest.read(EP, '/5/0/8', { format: 'SENML_CBOR' })).content;
      assert.deepEqual(protocols?.values, { 0: 0, 1: 1 }, 'Protocol Support: CoAP, CoAPS');
      return `/5/0 listed (ver=${reg.objectLinks.find((l) => l.url === '/5')?.attributes?.ver}); Protocol Support coap, coaps; /3/0/3 "0.1.0"`;
    });
  });

  it('Leshan writes a Package URI of our LwM2M Server (Block2 from serveFile) and executes Update: Update Result 1, /3/0/3 2.0.0', async () => {
    await summary.step('pull from our server', async () => {
      const udp = await openUdp({ address: '127.0.0.1' });
      files = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: recordingLogger([]) });
      const uri = await files.serveFile('fw-2.0.0.img', testImage('2.0.0', 256 * KiB));
      assert.equal(uri, `coap://127.0.0.1:${udp.port}/fw/fw-2.0.0.img`);
      return leshanPull(uri, '2.0.0');
    });
  });

  it('Leshan writes the Package itself (/5/0/0, opaque, Block1 from Californium) and executes Update: Update Result 1, /3/0/3 4.0.0', async () => {
    await summary.step('push of Package by Leshan', async () => {
      const img = testImage('4.0.0', 256 * KiB);
      const hex = Buffer.from(img).toString('hex');
      const note = await leshanUpdate(
        () =>
          leshan.rest.write(EP, '/5/0/0', { id: 0, value: hex, kind: 'singleResource', type: 'opaque' } as never, {
            format: 'OPAQUE',
            timeoutS: 60,
          }),
        '/5/0/0',
        '4.0.0',
      );
      return `${img.length} bytes pushed; ${note.replace(/^downloaded/, 'written')}`;
    });
  });

  it("Leshan writes a Package URI of libcoap's coap-server-notls and executes Update: Update Result 1, /3/0/3 3.0.0", async function () {
    if (!hasBinary('coap-server-notls') || !hasBinary('coap-client-notls')) {
      summary.skip('pull from coap-server-notls', 'libcoap3-bin not installed');
      this.skip();
    }
    await summary.step('pull from coap-server-notls', async () => {
      const port = await freeUdpPort('127.0.0.1');
      coapServer = spawn('coap-server-notls', ['-A', '127.0.0.1', '-p', String(port), '-d', '4', '-v', '0'], { stdio: 'ignore' });
      await sleep(300);
      const file = join(dir, 'fw-3.0.0.img');
      writeFileSync(file, testImage('3.0.0', 256 * KiB));
      const uri = `coap://127.0.0.1:${port}/fw-3.0.0.img`;
      // -d: a PUT creates the resource; it is then served with Block2 (and an ETag on every block).
      const put = spawnSync('coap-client-notls', ['-m', 'put', '-b', '1024', '-f', file, uri], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(put.status, 0, `PUT to coap-server-notls: ${put.stderr}`);
      return leshanPull(uri, '3.0.0');
    });
  });
});
