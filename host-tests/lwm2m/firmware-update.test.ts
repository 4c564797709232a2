// Firmware Update (Object 5, Core E.6): push and pull of a 256 KiB image,
// the restart into it and the result once registered, every Update Result a
// failure can set, resets, refusals and observations. Virtual time on the
// in-memory network (clean and lossy), and loopback UDP.
import assert from 'node:assert/strict';
import { ContentFormat } from '../../firmware/formats';
import { FW_STATE } from '../../firmware/lwm2m/firmware-update/update';
import { UPDATE_RESULT } from '../../firmware/lwm2m/firmware-update/image';
import type { Logger } from '../../firmware/platform/ports';
import { toHex } from '../../firmware/util/hex';
import { FACTORY_VERSION, fileServer, image, openFota, pushResumable, sha256, type Fota } from '../support/fota';
import type { RigKind } from '../support/rig';

const KIB256 = 256 * 1024;
const EP = 'node-1';

function recording(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (m: string) => {
    lines.push(m);
  };
  return { lines, error: put, warn: put, info: put, debug: () => {} };
}

/** Push: Write Package (octet-stream, Block1) and wait for the answer. */
async function push(f: Fota, img: Uint8Array) {
  return f.rig.settle(f.rig.server.write(EP, '/5/0/0', img, { format: ContentFormat.OPAQUE }), 3_600_000);
}

async function writeUri(f: Fota, uri: string) {
  return f.rig.settle(f.rig.server.write(EP, '/5/0/1', uri, { format: ContentFormat.TEXT }));
}

/** Update, the restart into the new image and its registration. */
async function updateAndRestart(f: Fota): Promise<void> {
  const r = await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'));
  assert.equal(r.code, '2.04');
  await f.rig.expect(() => f.restartRequested, 'the restart into the new image');
  assert.equal(f.state, FW_STATE.UPDATING);
  await f.reset();
  await f.rig.expect(() => f.rig.client.registeredServers.length === 1, 'registration after the restart', 3_600_000);
  await f.rig.advance(50);
}

const KINDS: Array<[RigKind, string]> = [
  ['memory', 'virtual time'],
  ['lossy', 'virtual time, 30 % loss, 10 % duplication'],
  ['udp', 'loopback UDP'],
];

for (const [kind, name] of KINDS) {
  describe(`firmware update of a 256 KiB image (${name})`, function () {
    this.timeout(120_000);
    let f: Fota;
    afterEach(async () => {
      await f?.rig.close();
    });

    it('push: Package written with Block1 streams into the slot; Update; the new image reports Update Result 1 and its version', async () => {
      f = await openFota({ kind, seed: 3 });
      const img = image('2.0.0', KIB256);
      const seen: number[] = [];
      const obs = await f.rig.settle(
        f.rig.server.observe(EP, '/5/0/3', (r) => {
          const v = r.records?.[0]?.value;
          if (typeof v === 'number') seen.push(v);
        }),
      );
      assert.equal(obs.first.code, '2.05');
      // On the lossy link a whole-body Block1 write fails as soon as one block loses all its retransmissions: resume per block.
      const code = kind === 'lossy' ? await f.rig.settle(pushResumable(f, EP, img), 14_400_000) : (await push(f, img)).code;
      assert.equal(code, '2.04');
      assert.equal(f.state, FW_STATE.DOWNLOADED);
      assert.equal(f.rig.client.running.get(5, 0, 7), '2.0.0');
      // Never whole in RAM: blocks of at most 1 KiB went to the slot, no reassembly at the client.
      assert.ok(f.flash.largestWrite <= 1024, `largest write ${f.flash.largestWrite}`);
      assert.equal(f.rig.client.endpoint.occupancy.block1.peak, 0);
      await f.rig.expect(() => seen.includes(FW_STATE.DOWNLOADED), 'a notification of Downloaded', 60_000);
      // Notifications are not retransmitted as such (a newer value supersedes one that was lost, RFC 7641 §4.5).
      if (kind !== 'lossy') assert.deepEqual(seen.slice(0, 2), [FW_STATE.DOWNLOADING, FW_STATE.DOWNLOADED]);
      await updateAndRestart(f);
      assert.equal(f.flash.runningVersion, '2.0.0');
      assert.equal(f.state, FW_STATE.IDLE);
      assert.equal(f.result, UPDATE_RESULT.SUCCESS);
      const dev = await f.rig.settle(f.rig.server.read(EP, '/3/0/3', ContentFormat.TEXT));
      assert.equal(dev.text, '2.0.0');
      assert.equal(f.flash.onTrial, false, 'the new image confirmed itself once registered');
    });

    it('pull: Package URI fetched one Block2 block at a time; Update; Update Result 1', async () => {
      f = await openFota({ kind, seed: 4 });
      const img = image('3.1.0', KIB256, 7);
      const files = await fileServer(f.rig, { 'fw.img': img });
      try {
        const w = await writeUri(f, files.uri('fw.img'));
        assert.equal(w.code, '2.04');
        await f.rig.expect(() => f.state === FW_STATE.DOWNLOADED, 'Downloaded', 14_400_000);
        assert.equal(f.result, UPDATE_RESULT.INITIAL);
        assert.ok(f.flash.largestWrite <= 1024);
        assert.equal(f.rig.client.endpoint.occupancy.block2.peak, 0);
        await updateAndRestart(f);
        assert.equal(f.result, UPDATE_RESULT.SUCCESS);
        assert.equal(f.flash.runningVersion, '3.1.0');
      } finally {
        files.close();
      }
    });
  });
}

describe('firmware update: pull resumes, fails and checks', function () {
  this.timeout(60_000);
  let f: Fota;
  afterEach(async () => {
    await f?.rig.close();
  });

  it('the connection drops mid-download for two minutes: the client asks again for the same block and completes', async () => {
    const log = recording();
    f = await openFota({ log });
    const img = image('2.1.0', KIB256, 9);
    const files = await fileServer(f.rig, { 'fw.img': img });
    await writeUri(f, files.uri('fw.img'));
    await f.rig.expect(() => f.flash.bytesWritten >= 64 * 1024, 'a quarter of the image', 600_000);
    const client = f.rig.clientAddr;
    f.rig.net!.setLink({ loss: 1 }, client, '127.0.0.9/5683');
    await f.rig.advance(120_000);
    const stalledAt = f.flash.bytesWritten;
    assert.ok(stalledAt < KIB256 && f.state === FW_STATE.DOWNLOADING);
    f.rig.net!.setLink({ loss: 0 }, client, '127.0.0.9/5683');
    await f.rig.expect(() => f.state === FW_STATE.DOWNLOADED, 'Downloaded after the drop', 3_600_000);
    assert.equal(f.flash.bytesWritten, KIB256, 'no block written twice: the download resumed where it stopped');
    assert.ok(log.lines.some((l) => /firmware: block at \d+ unanswered; asking again/.test(l)));
    files.close();
  });

  it('a Package URI whose server never answers: Update Result 4 once the first block has not come in 60 s (one CoAP exchange), not at the 30 min deadline', async () => {
    f = await openFota();
    const files = await fileServer(f.rig, { 'fw.img': image('2.2.0', 64 * 1024) });
    f.rig.net!.setLink({ loss: 1 }, f.rig.clientAddr, '127.0.0.9/5683');
    const t0 = f.rig.timers.now();
    await writeUri(f, files.uri('fw.img'));
    await f.rig.expect(() => f.result === UPDATE_RESULT.CONNECTION_LOST, 'Update Result 4', 8_000_000);
    const took = f.rig.timers.now() - t0;
    assert.equal(f.state, FW_STATE.IDLE);
    // The first GET times out after its retransmissions (62–93 s), past the 60 s the first block may take.
    assert.ok(took >= 60_000 && took <= 100_000, `gave up after ${took} ms`);
    // And the device takes a new URI at once.
    f.rig.net!.setLink({ loss: 0 }, f.rig.clientAddr, '127.0.0.9/5683');
    assert.equal((await writeUri(f, files.uri('fw.img'))).code, '2.04');
    await f.rig.expect(() => f.state === FW_STATE.DOWNLOADED, 'Downloaded from the URI once its server answers', 600_000);
    files.close();
  });

  it("Update Result 5: the image's own SHA-256 trailer does not match (push), and a #sha256= in the Package URI that does not (pull)", async () => {
    f = await openFota();
    const bad = image('2.3.0', 40_000);
    bad[20_000] ^= 1;
    const w = await push(f, bad);
    // E.6.1: the Write of the last block succeeded; the package's verdict is Update Result's alone (Anjay answers so too).
    assert.equal(w.code, '2.04');
    assert.equal(f.result, UPDATE_RESULT.INTEGRITY_FAILURE);
    assert.equal(f.state, FW_STATE.IDLE);
    const good = image('2.3.1', 40_000);
    const files = await fileServer(f.rig, { 'fw.img': good });
    const wrongDigest = toHex(sha256(image('other', 40_000)));
    await writeUri(f, `${files.uri('fw.img')}#sha256=${wrongDigest}`);
    await f.rig.expect(
      () => f.result === UPDATE_RESULT.INTEGRITY_FAILURE && f.state === FW_STATE.IDLE,
      'Update Result 5 on the pull',
      600_000,
    );
    // The right digest: Downloaded.
    await writeUri(f, `${files.uri('fw.img')}#sha256=${toHex(sha256(good))}`);
    await f.rig.expect(() => f.state === FW_STATE.DOWNLOADED, 'Downloaded with the right digest', 600_000);
    files.close();
  });

  it('Update Result 2: a package larger than the slot (Size1 on a push, Size2 on a pull); nothing is written past the header', async () => {
    f = await openFota();
    f.capacity = 128 * 1024;
    await f.reset();
    await f.rig.expect(() => f.rig.client.registeredServers.length === 1, 'registration', 20_000);
    await f.rig.advance(20);
    const big = image('9.0.0', 200 * 1024);
    const w = await push(f, big);
    assert.equal(w.code, '4.13');
    assert.equal(f.result, UPDATE_RESULT.NOT_ENOUGH_FLASH);
    const files = await fileServer(f.rig, { 'big.img': big });
    await writeUri(f, files.uri('big.img'));
    await f.rig.expect(
      () => f.result === UPDATE_RESULT.NOT_ENOUGH_FLASH && f.state === FW_STATE.IDLE,
      'Update Result 2 on the pull',
      60_000,
    );
    assert.equal(files.gets, 1, 'one block asked for, then it stopped');
    files.close();
  });

  it('Update Result 6: not an image this device runs (push and pull)', async () => {
    f = await openFota();
    const junk = new Uint8Array(5000).fill(0x41);
    const w = await push(f, junk);
    assert.equal(w.code, '4.00');
    assert.equal(f.result, UPDATE_RESULT.UNSUPPORTED_PACKAGE);
    const files = await fileServer(f.rig, { 'junk.bin': junk });
    await writeUri(f, files.uri('junk.bin'));
    await f.rig.expect(
      () => f.result === UPDATE_RESULT.UNSUPPORTED_PACKAGE && f.state === FW_STATE.IDLE,
      'Update Result 6 on the pull',
      60_000,
    );
    files.close();
  });

  it('Update Result 7: a malformed URI, and a URI the server answers 4.04; the Write itself is 2.04', async () => {
    f = await openFota();
    for (const uri of ['coap://', 'not a uri', 'coap://127.0.0.9:5683/fw/x#md5=00']) {
      const w = await writeUri(f, uri);
      assert.equal(w.code, '2.04', uri);
      assert.equal(f.result, UPDATE_RESULT.INVALID_URI, uri);
      assert.equal(f.state, FW_STATE.IDLE);
    }
    const files = await fileServer(f.rig, {});
    await writeUri(f, files.uri('missing.img'));
    await f.rig.expect(() => f.result === UPDATE_RESULT.INVALID_URI, 'Update Result 7 for 4.04', 60_000);
    files.close();
  });

  it('Update Result 9: http://, https://, and coaps:// on a client without DTLS', async () => {
    f = await openFota();
    for (const uri of ['http://example.org/fw.bin', 'https://example.org/fw.bin', 'coaps://127.0.0.9/fw.img']) {
      await writeUri(f, uri);
      assert.equal(f.result, UPDATE_RESULT.UNSUPPORTED_PROTOCOL, uri);
      assert.equal(f.state, FW_STATE.IDLE);
    }
    const r = await f.rig.settle(f.rig.server.read(EP, '/5/0/8'));
    assert.deepEqual(
      r.records?.map((x) => x.value),
      [0],
      'Protocol Support: CoAP only',
    );
  });

  it("Update Result 3: the client's bounded tables cannot take the download (out of RAM)", async () => {
    f = await openFota({ client: { coap: { maxQueuedRequests: 0, params: { nstart: 1 } } } as never });
    const files = await fileServer(f.rig, { 'fw.img': image('2.4.0', 8000) });
    // Another request to the same peer holds the one NSTART slot: the download's request finds the queue full.
    const blocker = f.rig.client.endpoint
      .request({ address: '127.0.0.9', port: 5683 }, { method: 1, path: ['slow'] })
      .catch(() => undefined);
    f.rig.net!.setLink({ loss: 1 }, f.rig.clientAddr, '127.0.0.9/5683');
    await writeUri(f, files.uri('fw.img'));
    await f.rig.expect(() => f.result === UPDATE_RESULT.OUT_OF_RAM, 'Update Result 3', 60_000);
    assert.equal(f.state, FW_STATE.IDLE);
    await blocker;
    files.close();
  });
});

describe('firmware update: the state machine', function () {
  this.timeout(60_000);
  let f: Fota;
  afterEach(async () => {
    await f?.rig.close();
  });

  it('empty Package and empty Package URI reset Downloading and Downloaded to Idle with Update Result 0', async () => {
    f = await openFota();
    await push(f, image('2.0.0', 20_000));
    assert.equal(f.state, FW_STATE.DOWNLOADED);
    assert.equal((await push(f, new Uint8Array(0))).code, '2.04');
    assert.equal(f.state, FW_STATE.IDLE);
    assert.equal(f.result, UPDATE_RESULT.INITIAL);
    assert.equal(f.flash.next, null, 'the image is gone');
    await push(f, image('2.0.0', 20_000));
    assert.equal((await push(f, Uint8Array.of(0))).code, '2.04', 'NULL (\\0) resets too');
    assert.equal(f.state, FW_STATE.IDLE);
    const files = await fileServer(f.rig, { 'fw.img': image('2.0.1', KIB256) });
    f.rig.net!.setLink({ delay: [50, 50] });
    await writeUri(f, files.uri('fw.img'));
    await f.rig.expect(() => f.state === FW_STATE.DOWNLOADING && f.flash.bytesWritten > 0, 'Downloading');
    await writeUri(f, '');
    assert.equal(f.state, FW_STATE.IDLE);
    assert.equal(f.result, UPDATE_RESULT.INITIAL);
    const written = f.flash.bytesWritten;
    await f.rig.advance(10_000);
    assert.equal(f.flash.bytesWritten, written, 'the download stopped');
    assert.equal(f.rig.client.running.get(5, 0, 1), '');
    files.close();
  });

  it('Update outside Downloaded is refused with 4.05; a new package while one is Downloaded is refused with 4.05', async () => {
    f = await openFota();
    assert.equal((await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'))).code, '4.05');
    await push(f, image('2.0.0', 20_000));
    const again = await push(f, image('2.0.1', 20_000));
    assert.equal(again.code, '4.05');
    assert.equal(f.rig.client.running.get(5, 0, 7), '2.0.0', 'the downloaded image stays');
    assert.equal((await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'))).code, '2.04');
    await f.rig.expect(() => f.restartRequested, 'restart');
    assert.equal((await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'))).code, '4.05', 'not again while Updating');
  });

  it('Cancel: Downloaded → Idle with Update Result 10; refused in Idle', async () => {
    f = await openFota();
    assert.equal((await f.rig.settle(f.rig.server.execute(EP, '/5/0/10'))).code, '4.05');
    await push(f, image('2.0.0', 20_000));
    assert.equal((await f.rig.settle(f.rig.server.execute(EP, '/5/0/10'))).code, '2.04');
    assert.equal(f.state, FW_STATE.IDLE);
    assert.equal(f.result, UPDATE_RESULT.CANCELLED);
  });

  it('Update Result 8: the platform cannot boot the image (stays Downloaded); a trial image that resets before registering rolls back', async () => {
    f = await openFota();
    await push(f, image('2.0.0', 20_000));
    f.slot.failActivate = 'otadata write failed';
    assert.equal((await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'))).code, '2.04');
    await f.rig.advance(100);
    assert.equal(f.state, FW_STATE.DOWNLOADED);
    assert.equal(f.result, UPDATE_RESULT.UPDATE_FAILED);
    f.slot.failActivate = undefined;
    assert.equal((await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'))).code, '2.04');
    await f.rig.expect(() => f.restartRequested, 'restart');
    // The new image boots but resets before it registers (the server unreachable, a crash): the bootloader rolls back.
    f.rig.net!.setLink({ loss: 1 }, f.rig.clientAddr, f.rig.serverAddr[0]);
    await f.reset();
    await f.rig.advance(1000);
    assert.equal(f.flash.runningVersion, '2.0.0');
    assert.equal(f.flash.onTrial, true);
    f.rig.net!.setLink({ loss: 0 }, f.rig.clientAddr, f.rig.serverAddr[0]);
    await f.reset();
    await f.rig.expect(() => f.rig.client.registeredServers.length === 1, 'registration of the old image', 600_000);
    assert.equal(f.flash.runningVersion, FACTORY_VERSION);
    assert.equal(f.result, UPDATE_RESULT.UPDATE_FAILED);
    assert.equal(f.state, FW_STATE.IDLE);
  });

  it('State and Update Result notify an observer at each change; PkgName and PkgVersion come from the image', async () => {
    f = await openFota();
    const results: number[] = [];
    await f.rig.settle(
      f.rig.server.observe(EP, '/5/0/5', (r) => {
        const v = r.records?.[0]?.value;
        if (typeof v === 'number') results.push(v);
      }),
    );
    await push(f, new Uint8Array(3000).fill(1));
    await f.rig.advance(2000);
    assert.deepEqual(results, [UPDATE_RESULT.UNSUPPORTED_PACKAGE]);
    await push(f, image('4.0.0', 30_000));
    await f.rig.advance(2000);
    assert.deepEqual(results, [UPDATE_RESULT.UNSUPPORTED_PACKAGE, UPDATE_RESULT.INITIAL]);
    const names = await f.rig.settle(f.rig.server.read(EP, '/5/0'));
    const byId = new Map(names.records!.map((r) => [r.path.resourceId, r.value]));
    assert.equal(byId.get(6), 'xs-lwm2m');
    assert.equal(byId.get(7), '4.0.0');
    assert.equal(byId.get(9), 2, 'Delivery Method: push and pull');
  });

  it('Update Result goes back to 0 when a new download starts, also when it fails in the same request: an observer sees 6, 0, 6', async () => {
    // A network that keeps the order of datagrams (a jittered one may deliver the 0 after the 6, which the observer then drops as stale).
    f = await openFota({ delay: [2, 2] });
    const results: number[] = [];
    await f.rig.settle(
      f.rig.server.observe(EP, '/5/0/5', (r) => {
        const v = r.records?.[0]?.value;
        if (typeof v === 'number') results.push(v);
      }),
    );
    const junk = new Uint8Array(3000).fill(1);
    await push(f, junk);
    await f.rig.advance(2000);
    await push(f, junk);
    await f.rig.advance(2000);
    assert.deepEqual(results, [UPDATE_RESULT.UNSUPPORTED_PACKAGE, UPDATE_RESULT.INITIAL, UPDATE_RESULT.UNSUPPORTED_PACKAGE]);
  });

  it('Discover /5/0 lists the mandatory Package (/5/0/0); a Write of Automatic Upgrade (/5/0/14) shows in Read and Discover', async () => {
    f = await openFota();
    const d = await f.rig.settle(f.rig.server.discover(EP, '/5/0'));
    assert.ok((d.text ?? '').includes('</5/0/0>'), d.text);
    assert.equal((await f.rig.settle(f.rig.server.write(EP, '/5/0/14', true, { format: ContentFormat.TEXT }))).code, '2.04');
    assert.equal((await f.rig.settle(f.rig.server.read(EP, '/5/0/14', ContentFormat.TEXT))).text, '1');
    assert.ok(((await f.rig.settle(f.rig.server.discover(EP, '/5/0'))).text ?? '').includes('</5/0/14>'));
  });

  it('a push that stops half-way: Update Result 4 after the idle time, the slot emptied', async () => {
    f = await openFota();
    const img = image('2.0.0', 50_000);
    // Block1 from the server: drop everything after the 10th block.
    let blocks = 0;
    f.rig.net!.setLink({ loss: 0 });
    const p = f.rig.server.write(EP, '/5/0/0', img, { format: ContentFormat.OPAQUE }).catch((e: Error) => e);
    await f.rig.expect(() => f.flash.bytesWritten >= 10 * 1024, 'ten blocks');
    blocks = f.flash.bytesWritten;
    f.rig.net!.setLink({ loss: 1 }, f.rig.serverAddr[0], f.rig.clientAddr);
    await f.rig.settle(p, 600_000);
    await f.rig.advance(400_000);
    assert.equal(f.result, UPDATE_RESULT.CONNECTION_LOST);
    assert.equal(f.state, FW_STATE.IDLE);
    assert.ok(blocks > 0);
  });
});
