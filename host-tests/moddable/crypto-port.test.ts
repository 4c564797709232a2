// The device's DTLS crypto port (firmware/platform/moddable/crypto: SHA-256
// and AES in the SDK's C `crypt` code, HMAC over it, the core's CCM over its
// AES) built by the real Moddable SDK for its Linux runtime with the ESP32
// memory limits, asked over UDP (the probe build's crypto oracle,
// probe/crypto-oracle) and compared answer for
// answer with node:crypto: published vectors first, then seeded random inputs
// of every length class. Then the firmware's DtlsTransport as a client on
// that runtime against a Node DtlsTransport server (node:crypto): handshake,
// one datagram each way, with each cipher suite; what a session costs in XS
// heap on device terms; and a wrong key failing cleanly.
// Run by `npm run test:moddable` (needs MODDABLE), not by `npm test`.
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CipherSuite } from '../../firmware/dtls/constants';
import { DtlsTransport } from '../../firmware/dtls/transport';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { consoleLogger, nodeRandom, nodeTimers, openUdp, type UdpTransport } from '../../firmware/platform/node';
import { fromHex, toHex } from '../../firmware/util/hex';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';
import { SeededRandom } from '../support/seeded-random';
import { Op, Status, decodeAnswer, encodeRequest, u16, type Answer } from './probe/oracle-wire';
import { HOST_SLOT_BYTES, LinFirmware } from './lin-run';
import { REPO, buildLin, findSdk, type Sdk } from './sdk';

const quiet = consoleLogger('error');
const IDENTITY = 'lin-check';
const KEY = fromHex('000102030405060708090a0b0c0d0e0f');

interface Heap {
  slots: number;
  chunk: number;
}
interface DtlsReport {
  echo?: string;
  handshakeUs?: number;
  handshakeBusyUs?: number;
  echoUs?: number;
  suite?: number;
  reason?: string;
  alert?: string | null;
  error?: string;
  heaps: { before?: Heap; peak?: Heap; established?: Heap; closed?: Heap };
  sends: number;
}

const plain = (b: Buffer) => new Uint8Array(b);
const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);
const ms = (us: number | undefined) => (us === undefined ? '?' : `${(us / 1000).toFixed(1)} ms`);

function nodeCcm8Seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: 8 });
  c.setAAD(aad, { plaintextLength: pt.length });
  const body = c.update(pt);
  c.final();
  return plain(Buffer.concat([body, c.getAuthTag()]));
}

function nodeCbc(decrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = decrypt ? createDecipheriv('aes-128-cbc', key, iv) : createCipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return plain(Buffer.concat([c.update(data), c.final()]));
}

describe('DTLS crypto port and DTLS client on the Moddable Linux runtime (SDK crypt C code)', function () {
  this.timeout(60_000);
  let sdk: Sdk;
  let oracle: UdpTransport;
  let fw: LinFirmware | undefined;
  let flashDir: string;
  let app: { address: string; port: number } | undefined;
  let nextId = 1;
  const waiting = new Map<number, (a: Answer) => void>();
  const rnd = new SeededRandom(0x5eed);

  function ask(op: number, fields: Uint8Array[], timeoutMs = 5000): Promise<Answer> {
    assert.ok(app, 'the check app said ready');
    const id = nextId++ & 0xffff;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`no answer to op ${op} in ${timeoutMs} ms\n${fw?.proc.log(30) ?? ''}`));
      }, timeoutMs);
      waiting.set(id, (a) => {
        clearTimeout(t);
        resolve(a);
      });
      oracle.send(encodeRequest({ id, op, fields }), app!.address, app!.port);
    });
  }

  async function computed(op: number, fields: Uint8Array[]): Promise<string> {
    const a = await ask(op, fields);
    if (a.status === Status.ERROR) throw new Error(`op ${op}: ${utf8Decode(a.payload)}`);
    return a.status === Status.NULL ? 'null' : toHex(a.payload);
  }

  before(async function () {
    this.timeout(10 * 60_000); // a cold build compiles the XS runtime and the native codec
    const found = findSdk();
    if ('missing' in found) throw new Error(found.missing);
    sdk = found;
    flashDir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-crypto-oracle-'));
    oracle = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
    oracle.onReceive = (data, address, port) => {
      const a = decodeAnswer(data);
      if (a === undefined) return;
      if (a.id === 0) {
        app ??= { address, port };
        return;
      }
      waiting.get(a.id)?.(a);
      waiting.delete(a.id);
    };
    const { so } = await buildLin(sdk, {
      name: 'lin-crypto-oracle',
      mode: 'instrument',
      manifest: join(REPO, 'host-tests/moddable/probe/manifest.json'),
      config: { oracle: `127.0.0.1:${oracle.port}`, flashDirectory: `${flashDir}/` },
    });
    fw = LinFirmware.start(sdk, so, 'lin-crypto-oracle');
    const end = Date.now() + 15_000;
    while (app === undefined) {
      if (Date.now() > end) throw new Error(`the check app never said ready\n${fw.proc.log(40)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  after(async () => {
    await fw?.stop('SIGKILL');
    oracle?.close();
    if (flashDir) rmSync(flashDir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && fw) console.log(fw.proc.log(30));
  });

  it('SHA-256: FIPS 180-2 "abc", the empty string, input split in parts, and 1..1000 random bytes', async () => {
    assert.equal(await computed(Op.SHA256, [utf8Encode('abc')]), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(
      await computed(Op.SHA256, [utf8Encode('a'), new Uint8Array(0), utf8Encode('bc')]),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    assert.equal(await computed(Op.SHA256, []), createHash('sha256').digest('hex'));
    for (const n of [1, 55, 56, 63, 64, 65, 119, 128, 1000, ...Array.from({ length: 20 }, () => 1 + rnd.int(1000))]) {
      const parts = [rnd.bytes(n), rnd.bytes(rnd.int(100))];
      const h = createHash('sha256');
      for (const p of parts) h.update(p);
      assert.equal(await computed(Op.SHA256, parts), h.digest('hex'), `${n} + ${parts[1]!.length} bytes`);
    }
  });

  it('HMAC-SHA-256: RFC 4231 cases 1, 2 and 6 (a 131-byte key), and keys of 0..200 bytes', async () => {
    assert.equal(
      await computed(Op.HMAC_SHA256, [new Uint8Array(20).fill(0x0b), utf8Encode('Hi There')]),
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    );
    assert.equal(
      await computed(Op.HMAC_SHA256, [utf8Encode('Jefe'), utf8Encode('what do ya '), utf8Encode('want for nothing?')]),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    assert.equal(
      await computed(Op.HMAC_SHA256, [
        new Uint8Array(131).fill(0xaa),
        utf8Encode('Test Using Larger Than Block-Size Key - Hash Key First'),
      ]),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
    for (const keyLength of [0, 1, 16, 32, 63, 64, 65, 100, 200]) {
      const key = rnd.bytes(keyLength);
      const parts = [rnd.bytes(rnd.int(300)), rnd.bytes(rnd.int(70))];
      const h = createHmac('sha256', key);
      for (const p of parts) h.update(p);
      assert.equal(await computed(Op.HMAC_SHA256, [key, ...parts]), h.digest('hex'), `key of ${keyLength} bytes`);
    }
  });

  it('AES-128 block: FIPS-197 C.1 and 50 random keys and blocks', async () => {
    assert.equal(
      await computed(Op.AES128_BLOCK, [fromHex('000102030405060708090a0b0c0d0e0f'), fromHex('00112233445566778899aabbccddeeff')]),
      '69c4e0d86a7b0430d8cdb78070b4c55a',
    );
    for (let i = 0; i < 50; i++) {
      const key = rnd.bytes(16);
      const block = rnd.bytes(16);
      const ecb = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
      assert.equal(await computed(Op.AES128_BLOCK, [key, block]), toHex(ecb.update(block)));
    }
  });

  it('AES-128-CBC both ways: SP 800-38A F.2.1/F.2.2 and 0..64 random blocks; a bad length is refused', async () => {
    const key = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
    const iv = fromHex('000102030405060708090a0b0c0d0e0f');
    const pt = fromHex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51');
    const ct = '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2';
    assert.equal(await computed(Op.AES128_CBC_ENCRYPT, [key, iv, pt]), ct);
    assert.equal(await computed(Op.AES128_CBC_DECRYPT, [key, iv, fromHex(ct)]), toHex(pt));
    for (const blocks of [0, 1, 2, 3, 17, 64, ...Array.from({ length: 10 }, () => rnd.int(64))]) {
      const k = rnd.bytes(16);
      const v = rnd.bytes(16);
      const data = rnd.bytes(16 * blocks);
      assert.equal(await computed(Op.AES128_CBC_ENCRYPT, [k, v, data]), toHex(nodeCbc(false, k, v, data)), `encrypt ${blocks} blocks`);
      assert.equal(await computed(Op.AES128_CBC_DECRYPT, [k, v, data]), toHex(nodeCbc(true, k, v, data)), `decrypt ${blocks} blocks`);
    }
    const refused = await ask(Op.AES128_CBC_ENCRYPT, [key, iv, new Uint8Array(17)]);
    assert.equal(refused.status, Status.ERROR);
    assert.match(utf8Decode(refused.payload), /RangeError/);
  });

  it('AES-128-CCM_8 (the core CCM over the SDK AES) seals as node:crypto does and opens only what verifies', async () => {
    for (const n of [0, 1, 15, 16, 17, 100, 1024, ...Array.from({ length: 10 }, () => rnd.int(1400))]) {
      const key = rnd.bytes(16);
      const nonce = rnd.bytes(12);
      const aad = rnd.bytes(13);
      const pt = rnd.bytes(n);
      const sealed = nodeCcm8Seal(key, nonce, aad, pt);
      assert.equal(await computed(Op.CCM8_SEAL, [key, nonce, aad, pt]), toHex(sealed), `seal ${n} bytes`);
      assert.equal(await computed(Op.CCM8_OPEN, [key, nonce, aad, sealed]), n === 0 ? '' : toHex(pt), `open ${n} bytes`);
      const bad = sealed.slice();
      bad[rnd.int(bad.length)] ^= 1 << rnd.int(8);
      assert.equal(await computed(Op.CCM8_OPEN, [key, nonce, aad, bad]), 'null', `a flipped bit in ${n} bytes`);
    }
  });

  it('Random port: every byte value, and no bit tied to another (taking 32 bits from one 31-bit Math.random() tied bit 0 to bit 31)', async () => {
    const a = await ask(Op.RANDOM, [u16(8192)]);
    assert.equal(a.status, Status.OK);
    const b = a.payload;
    assert.equal(b.length, 8192);
    assert.equal(new Set(b).size, 256, 'every byte value occurs');
    let same = 0;
    for (let i = 0; i + 3 < b.length; i += 4) if ((b[i]! & 1) === b[i + 3]! >> 7) same++;
    const share = same / (b.length / 4);
    assert.ok(
      share > 0.4 && share < 0.6,
      `bit 0 of a word's first byte equals bit 7 of its last in ${(100 * share).toFixed(1)} % of the words`,
    );
  });

  describe('DtlsTransport client on the runtime against a Node DtlsTransport server', () => {
    let serverUdp: UdpTransport;
    let server: DtlsTransport;
    const reports: Array<[string, DtlsReport]> = [];

    before(async () => {
      serverUdp = await openUdp({ address: '127.0.0.1', port: 0, log: quiet });
      server = new DtlsTransport({
        transport: serverUdp,
        timers: nodeTimers,
        random: nodeRandom,
        crypto: nodeCrypto,
        log: quiet,
        server: { pskKey: (identity) => (utf8Decode(identity) === IDENTITY ? KEY : null) },
      });
      server.onReceive = (data, address, port) => server.send(utf8Encode(`echo ${utf8Decode(data)}`), address, port);
    });

    after(() => {
      server?.close();
      if (reports.length > 0) {
        for (const [name, r] of reports) {
          const h = r.heaps;
          const slots = (x: Heap) => Math.round(x.slots / HOST_SLOT_BYTES);
          const over = (x: Heap | undefined) =>
            x && h.before ? `${signed(slots(x) - slots(h.before))} slots, ${signed(x.chunk - h.before.chunk)} B chunk` : '?';
          console.log(
            `      ${name}: handshake ${ms(r.handshakeUs)} elapsed (${r.sends} datagrams sent; the lin socket is polled every 20 ms), ` +
              `${ms(r.handshakeBusyUs)} in the DTLS code; echo ${ms(r.echoUs)}`,
          );
          console.log(
            `        live XS heap over the idle runtime (after a full GC): peak at a send ${over(h.peak)}; established ${over(h.established)}; after close ${over(h.closed)}`,
          );
        }
      }
    });

    async function run(suite: number, opts: { key?: Uint8Array; memory?: boolean } = {}): Promise<{ status: number; report: DtlsReport }> {
      const payload = utf8Encode(`hello over ${suite.toString(16)}`);
      const a = await ask(
        Op.DTLS_CLIENT,
        [u16(serverUdp.port), utf8Encode(IDENTITY), opts.key ?? KEY, u16(suite), payload, Uint8Array.of(opts.memory ? 1 : 0)],
        25_000,
      );
      const report = JSON.parse(utf8Decode(a.payload)) as DtlsReport;
      if (a.status === Status.ERROR) throw new Error(`DTLS run: ${report.error ?? '?'}`);
      return { status: a.status, report };
    }

    for (const [name, suite] of [
      ['TLS_PSK_WITH_AES_128_CCM_8', CipherSuite.TLS_PSK_WITH_AES_128_CCM_8],
      ['TLS_PSK_WITH_AES_128_CBC_SHA256', CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256],
    ] as const) {
      it(`${name}: handshake, a datagram each way, close; the live heap after close is what it was before`, async () => {
        const memory = await run(suite, { memory: true });
        assert.equal(memory.status, Status.OK, JSON.stringify(memory.report));
        assert.equal(utf8Decode(fromHex(memory.report.echo!)), `echo hello over ${suite.toString(16)}`);
        const timed = await run(suite);
        assert.equal(timed.status, Status.OK);
        reports.push([name, { ...timed.report, heaps: memory.report.heaps }]);
        const h = memory.report.heaps;
        // The session's objects are gone after close (a few slots of slack for what the runtime keeps of its own).
        assert.ok(
          h.closed!.slots - h.before!.slots <= 16 * HOST_SLOT_BYTES,
          `after close: ${(h.closed!.slots - h.before!.slots) / HOST_SLOT_BYTES} slots more than before`,
        );
        assert.ok(
          h.closed!.chunk - h.before!.chunk <= 256,
          `after close: ${h.closed!.chunk - h.before!.chunk} B of chunk heap more than before`,
        );
      });
    }

    it('a wrong key fails the handshake (an alert, no session), and the key never reaches the console', async () => {
      const wrong = fromHex('f0e0d0c0b0a090807060504030201000');
      const r = await run(CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, { key: wrong });
      assert.equal(r.status, Status.NULL, JSON.stringify(r.report));
      assert.ok(r.report.alert, `ended by an alert (${r.report.reason})`);
      const consoleText = fw!.proc.log(2000);
      for (const secret of [KEY, wrong]) assert.ok(!consoleText.includes(toHex(secret)), 'no key in the firmware console');
      // The one exception the runtime reports is the one the CBC check above provokes (and the port throws on purpose).
      assert.deepEqual(
        fw!.xsErrors().filter((l) => !/RangeError: AES-CBC data is not a whole number of blocks/.test(l)),
        [],
      );
    });
  });
});
