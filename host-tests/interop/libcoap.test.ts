// Interop against libcoap (Debian libcoap3-bin: coap-server-notls, coap-client-notls) over
// real UDP on loopback: Block1/Block2 transfers of several KB both ways and Observe both ways.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoapEndpoint, type CoapResponse, type ObserveRelation } from '../../firmware/coap/endpoint';
import { Code } from '../../firmware/coap/message';
import { consoleLogger, nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node/index';
import { utf8Decode, utf8Encode } from '../../firmware/util/utf8';

const SERVER_BIN = 'coap-server-notls';
const CLIENT_BIN = 'coap-client-notls';

function requireBinary(bin: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`]);
  if (r.status !== 0) {
    throw new Error(`${bin} not found: install libcoap with "apt-get update && apt-get install -y libcoap3-bin"`);
  }
}

/** A free UDP port on 127.0.0.1 (bound and released; the kernel will not hand it out again at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function runClient(args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile(CLIENT_BIN, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? null) : 0 });
    });
  });
}

/** Printable text of n bytes, so libcoap's stdout can be compared byte for byte. */
function textBody(n: number, seed: string): Uint8Array {
  let s = '';
  for (let i = 0; s.length < n; i++) s += `${seed}-${i.toString(36)};`;
  return utf8Encode(s.slice(0, n));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('interop with libcoap (coap-server-notls / coap-client-notls)', function () {
  this.timeout(30_000);

  before(() => {
    requireBinary(SERVER_BIN);
    requireBinary(CLIENT_BIN);
  });

  describe('our client against coap-server-notls', () => {
    let server: ChildProcess;
    let port: number;
    let ep: CoapEndpoint;
    let peer: { address: string; port: number };

    before(async () => {
      port = await freePort();
      server = spawn(SERVER_BIN, ['-A', '127.0.0.1', '-p', String(port), '-v', '0'], { stdio: 'ignore' });
      const transport = await openUdp({ address: '127.0.0.1' });
      ep = new CoapEndpoint({
        transport,
        timers: nodeTimers,
        random: nodeRandom,
        log: consoleLogger('warn', 'coap'),
        params: { ackTimeout: 500 },
      });
      peer = { address: '127.0.0.1', port };
      // wait until the server answers
      for (let i = 0; i < 40; i++) {
        try {
          const r = await ep.request(peer, { method: Code.GET, path: [], timeout: 400 });
          if (r.code === Code.CONTENT) return;
        } catch {
          /* not up yet */
        }
        await sleep(100);
      }
      throw new Error('coap-server-notls did not come up');
    });

    after(() => {
      ep?.close();
      server?.kill();
    });

    it('PUTs 6 KB with Block1 and GETs it back with Block2 (/example_data)', async () => {
      const body = textBody(6000, 'put');
      const put = await ep.request(peer, { method: Code.PUT, path: ['example_data'], contentFormat: 0, payload: body });
      assert.ok(put.code === Code.CHANGED || put.code === Code.CREATED, `PUT answered ${put.code}`);
      const got = await ep.request(peer, { method: Code.GET, path: ['example_data'] });
      assert.equal(got.code, Code.CONTENT);
      assert.equal(got.payload.length, 6000);
      assert.equal(utf8Decode(got.payload), utf8Decode(body));
    });

    it('GETs the 6 KB body with a smaller block size (256-byte follow-ups)', async () => {
      const transport = await openUdp({ address: '127.0.0.1' });
      const small = new CoapEndpoint({ transport, timers: nodeTimers, random: nodeRandom, log: consoleLogger('warn'), blockSzx: 4 });
      try {
        const got = await small.request(peer, { method: Code.GET, path: ['example_data'] });
        assert.equal(got.payload.length, 6000);
        assert.equal(utf8Decode(got.payload), utf8Decode(textBody(6000, 'put')));
      } finally {
        small.close();
        transport.close();
      }
    });

    it('observes /time: several notifications, then deregisters', async () => {
      const notes: CoapResponse[] = [];
      const obs = await ep.observe(peer, { method: Code.GET, path: ['time'] }, (r) => notes.push(r));
      assert.equal(obs.response.code, Code.CONTENT);
      assert.notEqual(obs.response.observe, undefined, 'registered');
      const deadline = Date.now() + 8000;
      while (notes.length < 3 && Date.now() < deadline) await sleep(100);
      assert.ok(notes.length >= 3, `got ${notes.length} notifications`);
      for (const n of notes) assert.ok(n.payload.length > 0);
      await obs.cancel();
      const count = notes.length;
      await sleep(1500);
      assert.ok(notes.length <= count + 1, 'notifications stop after deregistration');
    });
  });

  describe('coap-client-notls against our endpoint', () => {
    let ep: CoapEndpoint;
    let base: string;
    const big = textBody(5000, 'big');
    let uploaded: Uint8Array | undefined;
    const relations: ObserveRelation[] = [];
    let tick = 0;
    let ticker: ReturnType<typeof setInterval> | undefined;
    let dir: string;

    before(async () => {
      const transport = await openUdp({ address: '127.0.0.1' });
      ep = new CoapEndpoint({ transport, timers: nodeTimers, random: nodeRandom, log: consoleLogger('warn', 'coap') });
      base = `coap://127.0.0.1:${transport.port}`;
      dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-interop-'));
      ep.onRequest = (req) => {
        const path = req.path.join('/');
        if (path === 'big' && req.method === Code.GET) return { code: Code.CONTENT, contentFormat: 0, payload: big };
        if (path === 'up' && req.method === Code.PUT) {
          uploaded = req.payload;
          return { code: Code.CHANGED };
        }
        if (path === 'obs' && req.method === Code.GET) {
          if (req.observe === 0) {
            const rel = req.acceptObserve();
            if (rel) relations.push(rel);
          }
          return { code: Code.CONTENT, contentFormat: 0, payload: utf8Encode(`tick ${tick}\n`) };
        }
        return { code: Code.NOT_FOUND };
      };
      ticker = setInterval(() => {
        tick++;
        for (const rel of relations) {
          if (rel.active)
            rel
              .notify({ code: Code.CONTENT, contentFormat: 0, payload: utf8Encode(`tick ${tick}\n`) }, { confirmable: tick % 3 === 0 })
              .catch(() => {});
        }
      }, 300);
    });

    after(() => {
      if (ticker) clearInterval(ticker);
      ep?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('coap-client GETs a 5 KB resource (Block2 at our 1024-byte size)', async () => {
      const r = await runClient(['-m', 'get', `${base}/big`], 15_000);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.replace(/\n$/, ''), utf8Decode(big));
    });

    it('coap-client GETs a 5 KB resource asking for 64-byte blocks (SZX negotiation)', async () => {
      const r = await runClient(['-m', 'get', '-b', '64', `${base}/big`], 15_000);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.replace(/\n$/, ''), utf8Decode(big));
    });

    it('coap-client PUTs 5 KB to us with Block1', async () => {
      const file = join(dir, 'up.txt');
      const body = textBody(5000, 'up');
      writeFileSync(file, body);
      const r = await runClient(['-m', 'put', '-b', '256', '-f', file, `${base}/up`], 15_000);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(utf8Decode(uploaded!), utf8Decode(body));
    });

    it('coap-client observes our resource (-s) and receives several notifications', async () => {
      const r = await runClient(['-m', 'get', '-s', '3', `${base}/obs`], 15_000);
      assert.equal(r.code, 0, r.stderr);
      const ticks = new Set(
        r.stdout
          .split(/\s*(?=tick )/)
          .map((s) => s.trim())
          .filter((s) => s.startsWith('tick')),
      );
      assert.ok(ticks.size >= 4, `distinct notifications seen: ${[...ticks].join(', ')}`);
      assert.equal(relations.length, 1);
      await sleep(1000);
      assert.equal(relations[0].active, false, 'the relation ended when coap-client went away (deregister or RST)');
    });
  });
});
