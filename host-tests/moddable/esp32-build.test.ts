// The JavaScript half of each board's ESP32 build with the real SDK:
// `mcconfig -m -p esp32/<board>` runs tsc, xsc and xsl with the manifest's
// preload list and the board's creation settings, up to mc.xs.c (the linked XS
// image in C). Without ESP-IDF the build stops there (see sdk.ts); what it
// catches is what a board build would refuse: a module that does not exist for
// ESP32 (the legacy `wifi` module SDK 8.2 no longer ships), a module that
// cannot be preloaded, a type error. Each board builds twice: the reference
// firmware and the example app on the library (examples/moddable-sensors),
// whose own main is preloaded beside the library's modules.
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BOARDS } from '../device/boards';
import { SENSORS_MANIFEST, buildEsp32JsHalf, findSdk, type Sdk } from './sdk';

/** The aliasable closures and objects the XS linker counts (each costs a pointer of RAM on the device). */
function aliasCount(mcXsC: string): number {
  const m = /#define mxAliasCount (\d+)/.exec(readFileSync(mcXsC, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

describe('ESP32 board builds, JavaScript half (mcconfig -p esp32/<board> up to xsl → mc.xs.c)', function () {
  this.timeout(5 * 60_000);
  let sdk: Sdk;

  before(() => {
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
  });

  for (const b of BOARDS) {
    it(`${b.platform}: links with every project module preloaded and the ECMA-419 Wi-Fi interface`, async () => {
      const r = await buildEsp32JsHalf(sdk, b.platform.split('/')[1]!, {
        ssid: 'lab',
        password: 'secret',
        bootstrap: 'coap://192.168.1.10:5685',
      });
      const c = readFileSync(r.mcXsC, 'utf8');
      assert.match(c, /"embedded:network\/interface\/wifi"/, 'the SDK 8.2 Wi-Fi interface is in the image');
      for (const m of ['lwm2m/engine/client', 'coap/endpoint', 'store/record-store', 'platform/moddable/wifi']) {
        assert.match(
          c,
          new RegExp(`\\{ \\(txSlot\\*\\)&gxHeap\\[\\d+\\], \\{\\.ID = \\d+ /\\* ${m.replace('/', '\\/')} \\*/`),
          `${m} is preloaded`,
        );
      }
      const notFrozen = r.linkerWarnings.filter((w) => /not frozen/.test(w));
      console.log(
        `      mc.xs.c ${r.bytes} bytes; ${aliasCount(r.mcXsC)} aliasable closures/objects; linker warnings: ${r.linkerWarnings.length} (${notFrozen.length} not frozen)`,
      );
      assert.deepEqual(
        notFrozen,
        [],
        'every module-level constant object is frozen (a preloaded object written at run time would cost RAM or throw)',
      );
    });

    it(`${b.platform}: the example app on the library (examples/moddable-sensors) links with its main and the library preloaded`, async () => {
      const r = await buildEsp32JsHalf(
        sdk,
        b.platform.split('/')[1]!,
        { ssid: 'lab', password: 'secret', bootstrap: 'coap://192.168.1.10:5685' },
        { name: 'sensors', manifest: SENSORS_MANIFEST },
      );
      const c = readFileSync(r.mcXsC, 'utf8');
      assert.match(c, /\{ NULL, \{\.ID = xsID_main, \.flag = 0x8a, \.kind = XS_REFERENCE_KIND\}/, "the app's main is preloaded");
      for (const m of [
        'xs-lwm2m',
        'lwm2m/objects/ipso-objects',
        'lwm2m/engine/client',
        'platform/moddable/restart',
        'embedded:io/digital',
      ]) {
        assert.match(
          c,
          new RegExp(`\\{ \\(txSlot\\*\\)&gxHeap\\[\\d+\\], \\{\\.ID = \\d+ /\\* ${m.replace(/\//g, '\\/')} \\*/`),
          `${m} is preloaded`,
        );
      }
      const notFrozen = r.linkerWarnings.filter((w) => /not frozen/.test(w));
      console.log(
        `      mc.xs.c ${r.bytes} bytes; ${aliasCount(r.mcXsC)} aliasable closures/objects; linker warnings: ${r.linkerWarnings.length} (${notFrozen.length} not frozen)`,
      );
      assert.deepEqual(notFrozen, []);
    });
  }
});
