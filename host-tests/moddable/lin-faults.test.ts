// The firmware under faults, on the Moddable Linux runtime with the ESP32
// memory limits: one build, run again for each case against fresh host
// servers whose sockets go through a FaultyLink (down, chosen datagrams lost,
// seeded loss with duplicates), with the lin board's simulated hardware
// switched from here (firmware/platform/lin: the access point off, the power
// cut during the N-th flash operation) or the process killed. Each case ends
// with the firmware registered (or in a logged retry), its store holding the
// old or the new configuration, and the server knowing the outcome. The time
// each case takes to recover is printed and summed up at the end.
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeHostImage } from '../../firmware/lwm2m/firmware-update/image';
import { consoleLogger, nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { RecordStore } from '../../firmware/store/record-store';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { toHex } from '../../firmware/util/hex';
import { PskStore } from '../../host/psk-store';
import { BootstrapServer, type BootstrapEvent } from '../../host/bootstrap-server';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { MemoryFlash } from '../support/memory-flash';
import { sha256 } from '../update/support/images';
import { FaultyLink, answerTo, isRequest } from './faulty-link';
import { until } from './flow';
import { LinFirmware } from './lin-run';
import { buildLin, findSdk, type Sdk } from './sdk';

const EP = 'xs-lwm2m-lin-faults';
/** firmware/platform/lin/flash.ts: the status of a run whose power was cut. */
const EXIT_POWER_CUT = 86;
const quiet = consoleLogger('error');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Case → time to recover, for the summary. */
const recovered: Array<[string, string]> = [];
function note(name: string, text: string): void {
  recovered.push([name, text]);
  console.log(`      ${text}`);
}
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/**
 * What XS reported that was not caught: a debug build also traces every throw at its site
 * (`…: exception: throw!`), and under faults requests time out and reject into awaits that catch them.
 */
const uncaught = (lines: string[]) => lines.filter((l) => !/: exception: throw!$/.test(l));

describe('the firmware under faults on the Moddable Linux runtime with the ESP32 memory limits', function () {
  this.timeout(120_000);
  let sdk: Sdk;
  let so: string;
  let flashDir: string;
  let bsSock: UdpTransport;
  let srvSock: UdpTransport;
  let bsLink: FaultyLink;
  let srvLink: FaultyLink;
  let bs: BootstrapServer | undefined;
  let server: LwM2MServer | undefined;
  let bsEvents: Array<BootstrapEvent & { at: number }> = [];
  let srvEvents: Array<ServerEvent & { at: number }> = [];
  let fw: LinFirmware | undefined;
  const runs: LinFirmware[] = [];

  const registrations = () => srvEvents.filter((e) => e.type === 'registered' && e.reg.endpoint === EP);
  const updates = () => srvEvents.filter((e) => e.type === 'updated' && e.reg.endpoint === EP);
  const bsRequests = () => bsEvents.filter((e) => e.type === 'request');
  const bsFinished = () => bsEvents.filter((e) => e.type === 'finished' && e.ok);
  const log = () => runs.map((r, i) => `--- run ${i + 1}\n${r.proc.log(60)}`).join('\n');
  const start = (name: string) => {
    fw = LinFirmware.start(sdk, so, name);
    runs.push(fw);
    return fw;
  };
  const allLogLines = () => runs.flatMap((r) => r.logLines());
  const allXsErrors = () => runs.flatMap((r) => r.xsErrors());

  /** A new case: no firmware, blank flash and app partitions, clean links, fresh servers (lifetime for the account). */
  async function fresh(lifetime = 300): Promise<void> {
    await fw?.stop('SIGKILL');
    fw = undefined;
    runs.length = 0;
    for (const f of readdirSync(flashDir)) rmSync(join(flashDir, f), { force: true });
    bs?.close();
    server?.close();
    bsLink.reset();
    srvLink.reset();
    bsEvents = [];
    srvEvents = [];
    server = new LwM2MServer({
      transport: srvLink.transport,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      advertise: { address: '127.0.0.1', port: srvSock.port },
      onEvent: (e) => srvEvents.push({ ...e, at: Date.now() }),
    });
    bs = new BootstrapServer({
      transport: bsLink.transport,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      config: { format: 'tlv', endpoints: { [EP]: { servers: [{ uri: `coap://127.0.0.1:${srvSock.port}`, ssid: 101, lifetime }] } } },
      onEvent: (e) => bsEvents.push({ ...e, at: Date.now() }),
    });
  }

  async function registered(ms: number, what = 'registration'): Promise<number> {
    const n = registrations().length;
    await until(() => registrations().length > n, ms, what, log);
    return registrations()[registrations().length - 1]!.at;
  }

  /** The run ends by itself (a power cut), with `code`. */
  async function ended(run: LinFirmware, code: number, ms = 30_000): Promise<void> {
    await Promise.race([run.proc.exited, sleep(ms)]);
    assert.equal(run.proc.exitCode, code, `the run ended with ${code}\n${log()}`);
  }

  const apOff = () => writeFileSync(join(flashDir, 'xs-lwm2m-wifi-off'), '');
  const apOn = () => rmSync(join(flashDir, 'xs-lwm2m-wifi-off'), { force: true });
  /** The power goes during the n-th flash operation from now (firmware/platform/lin/flash.ts). */
  const cutPowerAt = (n: number) => writeFileSync(join(flashDir, 'xs-lwm2m-power-cut'), String(n));

  before(async function () {
    this.timeout(10 * 60_000);
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
    flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-faults-'));
    bsSock = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    srvSock = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    bsLink = new FaultyLink(bsSock);
    srvLink = new FaultyLink(srvSock);
    ({ so } = await buildLin(sdk, {
      name: 'lin-faults',
      config: { endpoint: EP, bootstrap: `coap://127.0.0.1:${bsSock.port}`, flashDirectory: `${flashDir}/`, logLevel: 'info' },
    }));
  });

  after(async function () {
    this.timeout(30_000);
    await fw?.stop('SIGKILL');
    bs?.close();
    server?.close();
    bsSock?.close();
    srvSock?.close();
    if (flashDir) rmSync(flashDir, { recursive: true, force: true });
    if (recovered.length > 0) {
      console.log('\n      time to recover, per case:');
      for (const [name, text] of recovered) console.log(`        ${name}: ${text}`);
    }
  });

  /** The case's figure, once XS reported nothing uncaught in any run of it. */
  function done(name: string, text: string): void {
    assert.deepEqual(uncaught(allXsErrors()), [], `XS reported no uncaught exception or abort\n${log()}`);
    note(name, text);
  }

  it('a Bootstrap-Server absent at boot and appearing 100 s later: the Bootstrap-Request is retried and the firmware bootstraps and registers', async function () {
    this.timeout(400_000);
    await fresh();
    bsLink.down = true;
    const t0 = Date.now();
    start('no bootstrap server');
    await sleep(100_000);
    assert.equal(bsRequests().length, 0);
    bsLink.down = false;
    const appeared = Date.now();
    const at = await registered(200_000, 'bootstrap and registration after the Bootstrap-Server appeared');
    assert.equal(bsFinished().length, 1);
    const lines = allLogLines();
    assert.ok(
      lines.some((l) => /bootstrap .*attempt 2/.test(l)),
      'a second Bootstrap-Request was scheduled after the first timed out',
    );
    done(
      'Bootstrap-Server absent for 100 s',
      `Bootstrap-Server up ${secs(appeared - t0)} after boot → registered ${secs(at - appeared)} later ` +
        `(${bsLink.stats.dropped} datagrams dropped while it was away)`,
    );
  });

  it('a lost Bootstrap-Request: sent again (CoAP retransmission), bootstraps and registers', async () => {
    await fresh();
    const rule = bsLink.drop('the first Bootstrap-Request', isRequest('up', '0.02', /^\/bs$/));
    const t0 = Date.now();
    start('lost Bootstrap-Request');
    await rule.done;
    const lostAt = Date.now();
    const at = await registered(60_000);
    assert.equal(bsFinished().length, 1);
    done('lost Bootstrap-Request', `lost ${secs(lostAt - t0)} after boot → registered ${secs(at - lostAt)} later`);
  });

  it('a lost answer to Bootstrap-Finish: the server sends Finish again, gets the same 2.04, and the firmware registers once', async () => {
    await fresh();
    const rule = bsLink.drop('the 2.04 of Bootstrap-Finish', answerTo(bsLink, isRequest('down', '0.02', /^\/bs$/)));
    start('lost Finish answer');
    await rule.done;
    const lostAt = Date.now();
    const at = await registered(60_000);
    await until(() => bsEvents.some((e) => e.type === 'finished'), 15_000, 'the Bootstrap-Server to end the sequence', log);
    const finishedAt = bsEvents.find((e) => e.type === 'finished')!.at;
    assert.equal(bsFinished().length, 1, 'the Bootstrap-Server saw the sequence end well (the Finish sent again got the same 2.04)');
    assert.equal(bsRequests().length, 1, 'one bootstrap');
    assert.equal(registrations().length, 1);
    done(
      'lost Bootstrap-Finish answer',
      `registered ${secs(at - lostAt)} after the 2.04 was lost; the Bootstrap-Server had its 2.04 ${secs(finishedAt - lostAt)} after`,
    );
  });

  it('a lost Register: sent again, registered', async () => {
    await fresh();
    const rule = srvLink.drop('the first Register', isRequest('up', '0.02', /^\/rd$/));
    start('lost Register');
    await rule.done;
    const lostAt = Date.now();
    const at = await registered(60_000);
    done('lost Register', `registered ${secs(at - lostAt)} after the Register was lost`);
  });

  it('a lost Update: sent again, the server hears it', async () => {
    await fresh();
    start('lost Update');
    await registered(30_000);
    const rule = srvLink.drop('the first Update', isRequest('up', '0.02', /^\/rd\/.+/));
    const before = updates().length;
    assert.equal((await server!.execute(EP, '/1/0/8')).code, '2.04');
    await rule.done;
    const lostAt = Date.now();
    await until(() => updates().length > before, 60_000, 'the Update', log);
    done('lost Update', `Update heard ${secs(updates()[updates().length - 1]!.at - lostAt)} after it was lost`);
  });

  it('the LwM2M Server down for 60 s after registration (lifetime 30 s): the firmware is registered again once it is back', async function () {
    this.timeout(300_000);
    await fresh(30);
    start('server down 60 s');
    await registered(30_000);
    srvLink.down = true;
    const downAt = Date.now();
    await sleep(60_000);
    srvLink.down = false;
    const backAt = Date.now();
    const [regs, upds] = [registrations().length, updates().length];
    // Core 1.1 §6.2.1.1 and the Server object's retry resources: an Update that fails leads to a Register again,
    // retried per Communication Retry Count / Timer (defaults 5, 60 s) and Sequence Delay Timer.
    await until(
      () => registrations().length > regs || updates().length > upds,
      200_000,
      'an Update or Register after the server came back',
      log,
    );
    const at = Date.now();
    await sleep(1000);
    assert.ok(server!.clients.has(EP), 'the server holds a registration');
    assert.equal((await server!.read(EP, '/3/0/0')).code, '2.05', 'and the device answers');
    const how = registrations().length > regs ? 'Register' : 'Update';
    const lostLines = allLogLines().filter((l) => /registration|Update|Register/i.test(l) && /\] [EW] /.test(l));
    done(
      'LwM2M Server down 60 s',
      `down ${secs(backAt - downAt)}, back → ${how} heard ${secs(at - backAt)} later (${srvLink.stats.dropped} datagrams dropped; the firmware logged ${lostLines.length} warnings/errors about it)`,
    );
  });

  it('30 % loss each way with 20 % duplicates over the whole bootstrap and registration (seeded): registered, bootstrapped once', async function () {
    this.timeout(600_000);
    await fresh();
    bsLink.lossy(0.3, 0.2, 20);
    srvLink.lossy(0.3, 0.2, 21);
    const t0 = Date.now();
    start('30 % loss');
    const at = await registered(540_000);
    // The device commits once its 2.04 to Bootstrap-Finish has gone, so it may register before the Bootstrap-Server
    // has that 2.04 (lost, and waiting for the Finish's next retransmission): wait for the server's verdict.
    await until(() => bsEvents.some((e) => e.type === 'finished'), 120_000, 'the Bootstrap-Server to end the sequence', log);
    assert.equal(bsRequests().length, 1, 'bootstrapped once');
    const stats = { bs: { ...bsLink.stats }, srv: { ...srvLink.stats } };
    srvLink.lossy(0, 0, 1);
    assert.equal((await server!.read(EP, '/3/0/0')).code, '2.05', 'the device answers once the link is clean');
    done(
      '30 % loss + 20 % duplicates',
      `registered ${secs(at - t0)} after boot (clean run: a few s); bootstrap link dropped ${stats.bs.dropped} of ${stats.bs.up + stats.bs.down}, duplicated ${stats.bs.duplicated}; server link dropped ${stats.srv.dropped} of ${stats.srv.up + stats.srv.down}, duplicated ${stats.srv.duplicated}; ${bsRequests().length} Bootstrap-Request(s)`,
    );
  });

  it('the Wi-Fi access point gone for 10 s in the middle of the bootstrap: the firmware reconnects and ends registered', async function () {
    this.timeout(300_000);
    await fresh();
    let dropped = false;
    bsLink.tap((d) => {
      if (!dropped && d.dir === 'down' && d.code === '0.03') {
        // the first Bootstrap-Write
        dropped = true;
        apOff();
        bsLink.down = true; // the radio is gone: nothing reaches the server either
      }
    });
    const run = start('Wi-Fi drop during bootstrap');
    await until(() => dropped, 30_000, 'the first Bootstrap-Write', log);
    await run.waitForLog(/wifi: link lost/, 5000);
    await sleep(10_000);
    apOn();
    bsLink.down = false;
    const backAt = Date.now();
    await run.waitForLog(/wifi: up/, 70_000, false);
    const at = await registered(250_000, 'registration after the Wi-Fi came back');
    done(
      'Wi-Fi drop during bootstrap',
      `access point back → registered ${secs(at - backAt)} later (${bsRequests().length} Bootstrap-Request(s))`,
    );
  });

  it('a power cut during the bootstrap commit: the next boot has the old (none) or the new configuration, and registers', async function () {
    this.timeout(200_000);
    await fresh();
    let armed = false; // one power cut: the next run's bootstrap goes through
    bsLink.tap((d) => {
      if (!armed && d.dir === 'down' && d.code === '0.02' && d.path === '/bs') {
        armed = true;
        cutPowerAt(1);
      }
    }); // at Finish: the commit (one record, one write) stops halfway
    const first = start('power cut during the bootstrap commit');
    await ended(first, EXIT_POWER_CUT);
    assert.ok(first.proc.grep(/^\[lin\] power cut while/).length === 1);
    assert.ok(!existsSync(join(flashDir, 'xs-lwm2m-power-cut')));
    const requests = bsRequests().length;
    const t0 = Date.now();
    const second = start('after the power cut');
    const at = await registered(120_000);
    const fromStore = second.logLines().some((l) => /stored configuration/.test(l)) && bsRequests().length === requests;
    const bootstrappedAgain = bsRequests().length > requests;
    assert.ok(fromStore !== bootstrappedAgain, 'either the new configuration was stored, or none and it bootstrapped again');
    done(
      'power cut during the bootstrap commit',
      `${first.proc.grep(/^\[lin\] power cut/)[0]!.slice(6)}; next boot → registered ${secs(at - t0)} later, ${fromStore ? 'from the stored (new) configuration' : 'after bootstrapping again (the old, empty store)'}`,
    );
  });

  it('a power cut during a Write of a stored resource: the next boot has the old or the new value, and registers from the store', async function () {
    this.timeout(200_000);
    await fresh();
    start('power cut during a Write');
    await registered(30_000);
    const old = (await server!.read(EP, '/3/0/14')).records?.[0]?.value;
    let armed = false;
    srvLink.tap((d) => {
      if (!armed && d.dir === 'down' && d.code === '0.03' && d.path === '/3/0/14') {
        armed = true;
        cutPowerAt(1);
      }
    });
    const run = fw!;
    void server!.write(EP, '/3/0/14', '+05:00').catch(() => undefined);
    await ended(run, EXIT_POWER_CUT);
    srvLink.reset();
    const requests = bsRequests().length;
    const t0 = Date.now();
    start('after the power cut');
    const at = await registered(120_000);
    assert.equal(bsRequests().length, requests, 'registered from the stored configuration, no bootstrap');
    const now = (await server!.read(EP, '/3/0/14')).records?.[0]?.value;
    assert.ok(now === old || now === '+05:00', `UTC Offset ${String(now)}: the old ${String(old)} or the new +05:00`);
    done(
      'power cut during a Write',
      `${run.proc.grep(/^\[lin\] power cut/)[0]!.slice(6)}; next boot → registered ${secs(at - t0)} later from the store, /3/0/14 = ${JSON.stringify(now)} (${now === old ? 'old' : 'new'})`,
    );
  });

  it('a full flash: the configuration cannot be stored; the firmware says so, registers, and bootstraps again after a restart', async function () {
    this.timeout(200_000);
    await fresh();
    // A store filled with records the firmware does not own, up to the last few bytes.
    const mem = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
    const store = RecordStore.mount(mem, { log: quiet });
    for (let i = 0; store.commit([{ key: 0xffff_f000 + i, value: new Uint8Array(96).fill(i) }]).ok; i++) {
      /* fill */
    }
    writeFileSync(join(flashDir, 'xs-lwm2m-lwm2m.nor'), mem.image);
    const t0 = Date.now();
    const run = start('full flash');
    const at = await registered(60_000);
    await run.waitForLog(/store: commit failed \(full\)/, 5000);
    await run.waitForLog(/bootstrap configuration committed \(NOT stored\)/, 5000);
    await run.stop();
    const requests = bsRequests().length;
    start('full flash, restarted');
    await registered(60_000);
    assert.equal(bsRequests().length, requests + 1, 'nothing was stored: it bootstraps again');
    done(
      'full flash',
      `registered ${secs(at - t0)} after boot with the configuration in RAM only ("store: commit failed (full)"); after a restart it bootstraps again`,
    );
  });

  describe('during a firmware download (Package URI through the faulty link)', () => {
    const IMAGE_BODY = 96 * 1024;
    const image = makeHostImage('xs-lwm2m', '0.2.0', new Uint8Array(randomBytes(IMAGE_BODY)), sha256);
    const state = async () => (await server!.read(EP, '/5/0/3')).records?.[0]?.value;
    const result = async () => (await server!.read(EP, '/5/0/5')).records?.[0]?.value;
    async function startPull(afterBlocks: number, then: () => void): Promise<void> {
      let blocks = 0;
      srvLink.tap((d) => {
        if (d.dir === 'up' && d.code === '0.01' && d.path.startsWith('/fw/') && ++blocks === afterBlocks) then();
      });
      const uri = `${await server!.serveFile('lin-faults.bin', image, EP)}#sha256=${Buffer.from(sha256(image)).toString('hex')}`;
      assert.equal((await server!.write(EP, '/5/0/1', uri)).code, '2.04');
    }

    it('the Wi-Fi access point gone for 10 s: the download resumes where it stopped and ends Downloaded', async function () {
      this.timeout(300_000);
      await fresh();
      const run = start('Wi-Fi drop during a download');
      await registered(30_000);
      let droppedAt = 0;
      await startPull(20, () => {
        apOff();
        srvLink.down = true;
        droppedAt = Date.now();
      });
      await until(() => droppedAt > 0, 60_000, '20 blocks', log);
      await run.waitForLog(/wifi: link lost/, 5000);
      await sleep(10_000);
      apOn();
      srvLink.down = false;
      const backAt = Date.now();
      for (let s: unknown; s !== 2;) {
        if (Date.now() - backAt > 240_000) throw new Error(`not Downloaded 240 s after the link came back\n${log()}`);
        await sleep(1000);
        s = await state().catch(() => undefined);
      }
      const at = Date.now();
      assert.equal(await result(), 0);
      const askedAgain = run.logLines().filter((l) => /firmware: block at \d+ unanswered; asking again/.test(l)).length;
      done(
        'Wi-Fi drop during a download',
        `access point back → Downloaded ${secs(at - backAt)} later (${askedAgain === 0 ? "CoAP's retransmission of the block request outlasted the drop" : `the block asked for again ${askedAgain} time(s)`})`,
      );
    });

    it('a power cut (kill): after the restart the server reads Idle and Update Result 4 (connection lost)', async function () {
      this.timeout(200_000);
      await fresh();
      const run = start('power cut during a download');
      await registered(30_000);
      let killed = false;
      await startPull(20, () => {
        killed = true;
        void run.stop('SIGKILL');
      });
      await until(() => killed, 60_000, '20 blocks', log);
      await run.proc.exited;
      srvLink.reset();
      const t0 = Date.now();
      const next = start('after the power cut');
      const at = await registered(60_000);
      assert.equal(await state(), 0, 'Idle');
      assert.equal(await result(), 4, 'Update Result 4: connection lost during downloading');
      assert.ok(next.logLines().some((l) => /firmware: a download was under way when the device restarted/.test(l)));
      done('power cut during a download', `next boot → registered ${secs(at - t0)} later; /5/0/3 = 0, /5/0/5 = 4`);
    });
  });
});

describe('the firmware over coaps under faults on the Moddable Linux runtime', function () {
  const BS_IDENTITY = 'lin-faults-bs';
  const BS_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x50 + i);
  const SRV_IDENTITY = 'lin-faults-srv';
  const SRV_KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x70 + i);
  let sdk: Sdk;
  let so: string;
  let flashDir: string;
  const sockets: UdpTransport[] = [];
  let bsLink: FaultyLink;
  let server: LwM2MServer;
  let bs: BootstrapServer;
  let fw: LinFirmware | undefined;
  const srvEvents: Array<ServerEvent & { at: number }> = [];

  before(async function () {
    this.timeout(10 * 60_000);
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
    flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-faults-coaps-'));
    for (let i = 0; i < 4; i++) sockets.push(await openUdp({ address: '127.0.0.1', port: 0, log: quiet }));
    const [bsPlain, bsSecure, srvPlain, srvSecure] = sockets as [UdpTransport, UdpTransport, UdpTransport, UdpTransport];
    bsLink = new FaultyLink(bsSecure);
    const psk = new PskStore();
    psk.set(EP, SRV_IDENTITY, SRV_KEY);
    server = new LwM2MServer({
      transport: srvPlain,
      coaps: { transport: srvSecure, crypto: nodeCrypto },
      psk,
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      onEvent: (e) => srvEvents.push({ ...e, at: Date.now() }),
    });
    bs = new BootstrapServer({
      transport: bsPlain,
      coaps: { transport: bsLink.transport, crypto: nodeCrypto },
      timers: nodeTimers,
      random: nodeRandom,
      log: quiet,
      config: {
        format: 'tlv',
        endpoints: {
          [EP]: {
            psk: { identity: BS_IDENTITY, keyHex: toHex(BS_KEY) },
            servers: [
              {
                uri: `coaps://127.0.0.1:${srvSecure.port}`,
                ssid: 101,
                lifetime: 300,
                securityMode: 'psk',
                pskIdentity: SRV_IDENTITY,
                pskKeyHex: toHex(SRV_KEY),
              },
            ],
          },
        },
      },
    });
    ({ so } = await buildLin(sdk, {
      name: 'lin-faults-coaps',
      config: {
        endpoint: EP,
        bootstrap: `coaps://127.0.0.1:${bsSecure.port}`,
        pskIdentity: BS_IDENTITY,
        pskKey: toHex(BS_KEY),
        flashDirectory: `${flashDir}/`,
        logLevel: 'info',
      },
    }));
  });

  after(async function () {
    this.timeout(30_000);
    await fw?.stop('SIGKILL');
    server?.close();
    bs?.close();
    for (const s of sockets) s.close();
    if (flashDir) rmSync(flashDir, { recursive: true, force: true });
    if (recovered.length > 0) console.log(`        ${recovered[recovered.length - 1]![0]}: ${recovered[recovered.length - 1]![1]}`);
  });

  it("the Bootstrap-Server silent for 70 s from the first ClientHello (longer than the handshake's 63 s of flights): a new handshake once it answers, then bootstrap and registration over coaps", async function () {
    this.timeout(400_000);
    let silentFrom = 0;
    bsLink.tap((d) => {
      if (silentFrom === 0 && d.dir === 'up') {
        silentFrom = Date.now();
        bsLink.down = true;
      }
    });
    fw = LinFirmware.start(sdk, so, 'DTLS peer silent');
    await until(
      () => silentFrom > 0,
      30_000,
      'the first ClientHello',
      () => fw!.proc.log(60),
    );
    await sleep(70_000);
    bsLink.down = false;
    const backAt = Date.now();
    await until(
      () => server.clients.has(EP),
      200_000,
      'registration over coaps after the Bootstrap-Server answered again',
      () => fw!.proc.log(80),
    );
    const at = srvEvents.find((e) => e.type === 'registered')!.at;
    assert.equal(server.clients.get(EP)!.secure, true);
    const lines = fw.logLines();
    assert.deepEqual(uncaught(fw.xsErrors()), []);
    note(
      'DTLS peer silent 70 s during the handshake',
      `silent ${secs(backAt - silentFrom)} from the first ClientHello → registered over coaps ${secs(at - backAt)} after it answered again ` +
        `(${lines.filter((l) => /\] [EW] /.test(l)).length} warnings/errors logged, e.g. ${JSON.stringify(lines.find((l) => /\] [EW] /.test(l)) ?? '')})`,
    );
  });
});
