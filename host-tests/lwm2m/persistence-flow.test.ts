// Persistence: the bootstrap result goes to flash at a 2.04
// Bootstrap-Finish; a reboot on the same image registers without
// bootstrapping; a damaged image is detected and the client bootstraps
// instead of running on garbage.
import assert from 'node:assert/strict';
import { storePersistence } from '../../firmware/lwm2m/engine/persistence';
import { OBJ } from '../../firmware/lwm2m/engine/ids';
import { silentLogger } from '../../firmware/platform/ports';
import { RecordStore } from '../../firmware/store/record-store';
import { MemoryFlash } from '../support/memory-flash';
import { openRig, type Rig } from '../support/rig';

describe('persistence flow (bootstrap result in the flash store)', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });

  async function bootstrapOnce(flash: MemoryFlash): Promise<Rig> {
    const r = await openRig({ kind: 'memory', persistence: storePersistence(RecordStore.mount(flash), silentLogger) });
    r.client.start();
    assert.ok(await r.until(() => r.client.state === 'registered', 10_000));
    return r;
  }

  const bootstrapRequests = (r: Rig) => r.requests().filter((q) => q.startsWith('POST /bs?')).length;

  it('a rebooted client registers straight away from the stored configuration', async () => {
    const flash = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
    rig = await bootstrapOnce(flash);
    assert.equal(bootstrapRequests(rig), 1);
    // Power off, power on: a new store mount on the same image.
    await rig.reboot({ persistence: storePersistence(RecordStore.mount(flash), silentLogger) });
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
    assert.equal(bootstrapRequests(rig), 1, 'no second Bootstrap-Request');
    assert.equal(rig.client.running.value(OBJ.SECURITY, 1, 0), rig.serverUris[0]);
    assert.equal(rig.client.running.value(OBJ.SERVER, 0, 0), 101);
    assert.equal(rig.serverEvents[0].filter((e) => e.type === 'registered').length, 2);
  });

  it('a server write to a persistent resource survives the reboot', async () => {
    const flash = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
    rig = await bootstrapOnce(flash);
    await rig.advance(50);
    const w = await rig.settle(rig.servers[0].write('node-1', '/1/0/1', 777));
    assert.equal(w?.code, '2.04');
    await rig.reboot({ persistence: storePersistence(RecordStore.mount(flash), silentLogger) });
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
    assert.equal(rig.client.running.value(OBJ.SERVER, 0, 1), 777);
    assert.equal(rig.servers[0].clients.get('node-1')!.lifetime, 777);
  });

  it('one corrupted byte in the image is detected and the client bootstraps instead of running on garbage', async () => {
    const flash = new MemoryFlash({ byteLength: 16384, blockSize: 4096 });
    rig = await bootstrapOnce(flash);
    // Flip a byte inside the stored server URI.
    const uri = new TextEncoder().encode(rig.serverUris[0]);
    const image = flash.image;
    const at = indexOf(image, uri);
    assert.ok(at >= 0, 'the URI is in the image');
    image[at + 8] ^= 0x01;
    await rig.reboot({ persistence: storePersistence(RecordStore.mount(flash), silentLogger) });
    rig.client.start();
    assert.ok(await rig.until(() => rig.client.state === 'registered', 10_000));
    assert.equal(bootstrapRequests(rig), 2, 'bootstrapped again');
    assert.equal(rig.client.running.value(OBJ.SECURITY, 1, 0), rig.serverUris[0], 'runs on the fresh, intact configuration');
  });
});

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
