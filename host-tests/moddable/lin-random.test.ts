// A coaps firmware on the Moddable Linux runtime draws different random bytes
// on every run: started twice from the same (empty) flash, its first DTLS
// ClientHello carries another client random each time. The SDK's Math.random
// there is the C library's rand(), never seeded, which made both runs send the
// same random (and the same IVs and CoAP tokens after it); the firmware's
// random bytes now come from getrandom(2) (firmware/platform/lin/entropy.c).
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentType, HandshakeType, RANDOM_LENGTH, RECORD_HEADER_LENGTH, HANDSHAKE_HEADER_LENGTH } from '../../firmware/dtls/constants';
import { consoleLogger, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { toHex } from '../../firmware/util/hex';
import { until } from './flow';
import { LinFirmware } from './lin-run';
import { OUT, buildLin, findSdk, type Sdk } from './sdk';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => 0x60 + i);
/** Where client_random sits in a datagram that starts with a ClientHello: after the record and handshake headers and client_version. */
const RANDOM_AT = RECORD_HEADER_LENGTH + HANDSHAKE_HEADER_LENGTH + 2;

describe('random bytes of a coaps firmware on the Moddable Linux runtime', function () {
  this.timeout(60_000);
  let sdk: Sdk;
  let so: string;
  let flashDir: string;
  let bootstrapPort: UdpTransport;
  /** The client randoms of the ClientHellos that reached the Bootstrap-Server's coaps port, in order. */
  const randoms: string[] = [];
  let firmware: LinFirmware | undefined;

  before(async function () {
    this.timeout(10 * 60_000);
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
    flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-lin-random-'));
    // Stands where the Bootstrap-Server's coaps port would be: it answers nothing and notes each ClientHello.
    bootstrapPort = await openUdp({ address: '127.0.0.1', port: 0, log: consoleLogger('error') });
    bootstrapPort.onReceive = (d) => {
      if (
        d.length > RANDOM_AT + RANDOM_LENGTH &&
        d[0] === ContentType.handshake &&
        d[RECORD_HEADER_LENGTH] === HandshakeType.client_hello
      ) {
        randoms.push(toHex(d.subarray(RANDOM_AT, RANDOM_AT + RANDOM_LENGTH)));
      }
    };
    // A fresh build: make keeps a module built from another source under the same name (a board mapping changed).
    rmSync(join(OUT, 'lin-random'), { recursive: true, force: true });
    ({ so } = await buildLin(sdk, {
      name: 'lin-random',
      config: {
        endpoint: 'xs-lwm2m-lin-random',
        bootstrap: `coaps://127.0.0.1:${bootstrapPort.port}`,
        pskIdentity: 'lin-random',
        pskKey: toHex(KEY),
        flashDirectory: `${flashDir}/`,
        logLevel: 'info',
      },
    }));
  });

  after(async () => {
    await firmware?.stop('SIGKILL');
    bootstrapPort?.close();
    if (flashDir) rmSync(flashDir, { recursive: true, force: true });
  });

  /** One run from an empty flash: the client random of its first ClientHello. */
  async function firstRandom(run: number): Promise<string> {
    rmSync(flashDir, { recursive: true, force: true });
    mkdirSync(flashDir);
    const before = randoms.length;
    firmware = LinFirmware.start(sdk, so, `lin-firmware (random, run ${run})`);
    const fw = firmware;
    await until(
      () => randoms.length > before,
      30_000,
      `run ${run}'s first ClientHello`,
      () => fw.proc.log(60),
    );
    await fw.stop('SIGKILL');
    firmware = undefined;
    return randoms[before];
  }

  it('two runs from the same empty flash send ClientHellos with different client randoms', async () => {
    const first = await firstRandom(1);
    const second = await firstRandom(2);
    assert.notEqual(first, second, 'the same client random on two runs: the random source is not seeded');
    // Nor does either look like a counter or a constant: 32 bytes with many distinct values.
    for (const r of [first, second]) assert.ok(new Set(r.match(/../g)).size > 16, r);
  });
});
