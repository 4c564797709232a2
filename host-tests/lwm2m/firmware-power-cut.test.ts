// A power cut at any point of a firmware update ends in the old or the new
// firmware, never neither, and the server learns which: Update Result 1 with
// the new version, or 8 with the old one (0 when the Update was never
// acknowledged). The cut falls at every byte of each store write the update
// makes, and between the steps around the restart.
import assert from 'node:assert/strict';
import { Code } from '../../firmware/coap/message';
import { ContentFormat } from '../../firmware/formats';
import { FW_STATE } from '../../firmware/lwm2m/firmware-update/update';
import { UPDATE_RESULT } from '../../firmware/lwm2m/firmware-update/image';
import { FaultFlash, PowerCut } from '../support/memory-flash';
import { FACTORY_VERSION, fileServer, image, openFota, type Fota } from '../support/fota';

const EP = 'node-1';
const NEW = '2.0.0';

async function registered(f: Fota): Promise<void> {
  await f.rig.expect(() => f.rig.client.registeredServers.length === 1, 'registration', 600_000);
  await f.rig.advance(50);
}

/** A fresh rig with the new image Downloaded, the client's store on a flash that cuts at byte `cutAt` of its writes. */
async function downloaded(cutAt: number | undefined): Promise<{ f: Fota; fault: FaultFlash }> {
  const f = await openFota();
  const fault = new FaultFlash(f.storeFlash, cutAt === undefined ? {} : { cutAtByte: cutAt, garble: true, seed: cutAt + 1 });
  await f.reset(fault);
  await registered(f);
  const w = await f.rig.settle(f.rig.server.write(EP, '/5/0/0', image(NEW, 30_000), { format: ContentFormat.OPAQUE }));
  assert.equal(w.code, '2.04');
  assert.equal(f.state, FW_STATE.DOWNLOADED);
  return { f, fault };
}

/** After the cut: the device boots (store flash intact again), registers; which firmware runs and what it reports. */
async function afterCut(f: Fota): Promise<{ version: string; result: number; state: number }> {
  await f.reset();
  await registered(f);
  return { version: f.flash.runningVersion, result: f.result, state: f.state };
}

describe('firmware update: a power cut at any point', function () {
  this.timeout(300_000);

  it('during the store write of the pending update, at every byte: old firmware, no 2.04, Update Result 0 (the record is not sealed)', async () => {
    // How many bytes that commit writes, measured on a clean run.
    const probe = await downloaded(undefined);
    const before = probe.fault.bytesWritten;
    assert.equal((await probe.f.rig.settle(probe.f.rig.server.execute(EP, '/5/0/2'))).code, '2.04');
    const commitBytes = probe.fault.bytesWritten - before;
    await probe.f.rig.close();
    assert.ok(commitBytes > 0 && commitBytes < 200, `commit of ${commitBytes} bytes`);
    for (let k = 0; k < commitBytes; k++) {
      const { f, fault } = await downloaded(before + k);
      const r = await f.rig.settle(f.rig.server.execute(EP, '/5/0/2')).catch((e: Error) => e);
      assert.ok(fault.cut, `the cut at byte ${k} happened`);
      // The client died during the commit: whatever it answered (if anything) was not a 2.04 of an Update that happened.
      assert.ok(r instanceof Error || r.code !== '2.04' || !f.restartRequested);
      const end = await afterCut(f);
      assert.equal(end.version, FACTORY_VERSION, `byte ${k}`);
      // The record counts only once its last byte (the seal) is written: any earlier cut loses it whole.
      assert.equal(end.result, UPDATE_RESULT.INITIAL, `byte ${k}`);
      assert.equal(end.state, FW_STATE.IDLE);
      await f.rig.close();
    }
  });

  it('in the middle of a download (pull): the restarted client is Idle with Update Result 4 (connection lost), once', async () => {
    const f = await openFota();
    const files = await fileServer(f.rig, { 'a.bin': image(NEW, 60_000) });
    assert.equal((await f.rig.settle(f.rig.server.write(EP, '/5/0/1', files.uri('a.bin')))).code, '2.04');
    await f.rig.expect(() => f.flash.bytesWritten >= 5 * 1024, 'five blocks written', 600_000);
    assert.equal(f.state, FW_STATE.DOWNLOADING);
    await f.reset();
    await registered(f);
    assert.deepEqual(
      { state: f.state, result: f.result, version: f.flash.runningVersion },
      { state: FW_STATE.IDLE, result: UPDATE_RESULT.CONNECTION_LOST, version: FACTORY_VERSION },
    );
    // Reported once: the note is gone, and the next boot starts from Update Result 0.
    await f.reset();
    await registered(f);
    assert.equal(f.result, UPDATE_RESULT.INITIAL);
    files.close();
    await f.rig.close();
  });

  it('in the middle of a push: the same, Update Result 4', async () => {
    const f = await openFota();
    const img = image(NEW, 30_000);
    // The first Block1 blocks of a push, then the power goes.
    const first = await f.rig.settle(
      f.rig.server.endpoint.request(f.rig.server.clients.get(EP)!.peer, {
        method: Code.PUT,
        path: ['5', '0', '0'],
        contentFormat: ContentFormat.OPAQUE,
        payload: img.subarray(0, 1024),
        block1: { num: 0, more: true, szx: 6 },
      }),
    );
    assert.equal(first.code, Code.CONTINUE);
    assert.equal(f.state, FW_STATE.DOWNLOADING);
    await f.reset();
    await registered(f);
    assert.deepEqual({ state: f.state, result: f.result }, { state: FW_STATE.IDLE, result: UPDATE_RESULT.CONNECTION_LOST });
    await f.rig.close();
  });

  it('after the pending update is stored, before the boot partition is switched: old firmware, Update Result 8', async () => {
    const { f } = await downloaded(undefined);
    f.slot.activate = () => {
      throw new PowerCut('power cut before otadata');
    };
    await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'));
    const end = await afterCut(f);
    assert.deepEqual(end, { version: FACTORY_VERSION, result: UPDATE_RESULT.UPDATE_FAILED, state: FW_STATE.IDLE });
    await f.rig.close();
  });

  it('after the switch, before the restart: the new image boots on trial, registers, keeps itself: Update Result 1', async () => {
    const { f } = await downloaded(undefined);
    await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'));
    await f.rig.expect(() => f.restartRequested, 'restart');
    const end = await afterCut(f);
    assert.deepEqual(end, { version: NEW, result: UPDATE_RESULT.SUCCESS, state: FW_STATE.IDLE });
    assert.equal(f.flash.onTrial, false);
    await f.rig.close();
  });

  it('on trial, before it registered: the bootloader rolls back; the old firmware reports Update Result 8', async () => {
    const { f } = await downloaded(undefined);
    await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'));
    await f.rig.expect(() => f.restartRequested, 'restart');
    f.rig.net!.setLink({ loss: 1 }, f.rig.clientAddr, f.rig.serverAddr[0]);
    await f.reset();
    await f.rig.advance(500);
    assert.equal(f.flash.runningVersion, NEW);
    f.rig.net!.setLink({ loss: 0 }, f.rig.clientAddr, f.rig.serverAddr[0]);
    const end = await afterCut(f);
    assert.deepEqual(end, { version: FACTORY_VERSION, result: UPDATE_RESULT.UPDATE_FAILED, state: FW_STATE.IDLE });
    await f.rig.close();
  });

  it("during the store writes of the new image's first boot (clearing the pending update), at every byte: new firmware, Update Result 1", async () => {
    /** Up to the restart into the new image; its first boot's store is `fault`. */
    const restartInto = async (fault: (f: Fota) => FaultFlash) => {
      const { f } = await downloaded(undefined);
      await f.rig.settle(f.rig.server.execute(EP, '/5/0/2'));
      await f.rig.expect(() => f.restartRequested, 'restart');
      const flash = fault(f);
      await f.reset(flash);
      return { f, flash };
    };
    // How many bytes that boot writes until it reported the result, measured on a clean run.
    const probe = await restartInto((f) => new FaultFlash(f.storeFlash));
    await registered(probe.f);
    assert.equal(probe.f.result, UPDATE_RESULT.SUCCESS);
    const bootBytes = probe.flash.bytesWritten;
    await probe.f.rig.close();
    assert.ok(bootBytes > 0, 'the first boot clears the pending record');
    for (let k = 0; k < bootBytes; k++) {
      const { f, flash } = await restartInto((x) => new FaultFlash(x.storeFlash, { cutAtByte: k, garble: true, seed: k + 7 }));
      await f.rig.expect(() => flash.cut, `the cut at byte ${k}`, 600_000);
      const end = await afterCut(f);
      assert.deepEqual(end, { version: NEW, result: UPDATE_RESULT.SUCCESS, state: FW_STATE.IDLE }, `byte ${k}`);
      assert.equal(f.flash.onTrial, false, 'confirmed before the store was touched');
      await f.rig.close();
    }
  });
});
