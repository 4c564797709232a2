// Failure paths inside the real XS engine with the built-ins frozen as the
// device's preload freezes them (host-tests/xs-harness/preload-freeze.ts). On the device, a
// core class that assigns over a property inherited from a frozen built-in
// (`this.name = …` in an Error subclass) throws the moment it is made, so
// the request that failed never settles: the happy path never shows it.
// Timers run on a manual clock, so the 93 s of a lost exchange take no time.
import assert from 'node:assert/strict';
import { ManualTimers } from '../support/manual-timers';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import dgram from 'node:dgram';
import { bundleForXs, REPO_ROOT } from '../xs-harness/bundle';
import { XsHost } from '../xs-harness/bridge';
import { decodeMessage, encodeMessage, Type, Code } from '../../firmware/coap/message';
import { openUdp, nodeRandom, nodeTimers } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { BootstrapServer } from '../../host/bootstrap-server';
import { LwM2MServer } from '../../host/lwm2m-server';
import { utf8Decode } from '../../firmware/util/utf8';

const realPause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Moves virtual time in steps, letting XS and real loopback UDP catch up between them, until `done()` or `limitMs`. */
/** The Moddable app's entry and the library's (they wire the Moddable port, which is no core). */
const MODDABLE_ENTRIES = ['main.ts', 'xs-lwm2m.ts'];

async function runVirtual(host: XsHost, clock: ManualTimers, limitMs: number, done: () => boolean, stepMs = 250): Promise<boolean> {
  const end = clock.t + limitMs;
  while (!done() && clock.t < end) {
    clock.advance(stepMs);
    await host.settled();
    await realPause(1);
  }
  return done();
}

/** Every core module (firmware/ outside platform/, the Moddable entries main.ts and xs-lwm2m.ts, and the AssemblyScript sources). */
function coreModules(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (!['platform', 'assembly'].includes(name)) walk(p);
      } else if (p.endsWith('.ts') && !p.endsWith('.d.ts') && !(dir.endsWith('/firmware') && MODDABLE_ENTRIES.includes(name))) out.push(p);
    }
  };
  walk(join(REPO_ROOT, 'firmware'));
  return out.sort();
}

describe('failure paths in XS with the built-ins frozen (as preload leaves them on the device)', function () {
  this.timeout(60000);

  it('makes and throws every Error subclass of the core; each carries its own name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xs-errors-'));
    try {
      const entry = join(dir, 'entry.ts');
      const imports = [join(REPO_ROOT, 'host-tests/xs-harness/entries/error-classes.ts'), ...coreModules()].map(
        (p) => `import ${JSON.stringify(relative(dir, p).replace(/\\/g, '/'))};`,
      );
      writeFileSync(entry, `${imports.join('\n')}\n`);
      const host = await XsHost.start({ script: (await bundleForXs(entry)).code });
      try {
        const r = await host.callJson<{ frozen: boolean; classes: Array<Record<string, unknown>> }>('errorClasses');
        assert.equal(r.frozen, true, 'the harness froze the built-ins');
        const names = r.classes.map((c) => c.class).sort();
        for (const known of [
          'CoapCapacityError',
          'CoapError',
          'CoapResetError',
          'CoapTimeoutError',
          'Damaged',
          'DecodeError',
          'FlashFault',
        ]) {
          assert.ok(names.includes(known), `${known} reached (found ${names.join(', ')})`);
        }
        for (const c of r.classes) {
          assert.equal(c.threw, undefined, `new ${c.class}() threw in XS: ${c.threw}`);
          assert.equal(c.name, c.class);
          assert.equal(c.caught, true);
          assert.match(String(c.text), new RegExp(`^${c.class}: `));
        }
      } finally {
        await host.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a CoAP request that fails, inside XS', () => {
    let host: XsHost;
    let clock: ManualTimers;
    let peer: dgram.Socket;
    const seen: number[] = [];
    const responses: Array<{ id: number; error?: string; code?: number }> = [];

    before(async () => {
      clock = new ManualTimers();
      host = await XsHost.start({
        script: (await bundleForXs('host-tests/xs-harness/entries/coap.ts')).code,
        timers: clock,
        onEvent: (n, p) => {
          if (n === 'response') responses.push(JSON.parse(utf8Decode(p)));
        },
      });
      peer = dgram.createSocket('udp4');
      await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
      // Silent to the first request (and its retransmissions); a Reset to any other.
      peer.on('message', (msg, from) => {
        const d = decodeMessage(new Uint8Array(msg));
        if (!d.ok) return;
        const mid = d.message.messageId;
        seen.push(mid);
        if (mid === seen[0]) return;
        peer.send(
          encodeMessage({
            type: Type.RST,
            code: Code.EMPTY,
            messageId: mid,
            token: new Uint8Array(0),
            options: [],
            payload: new Uint8Array(0),
          }),
          from.port,
          from.address,
        );
      });
      await host.callJson('start', { maxQueuedRequests: 1 });
    });
    after(async () => {
      peer?.close();
      await host?.close();
    });

    it('rejects with CoapCapacityError when the queue is full, CoapTimeoutError after MAX_RETRANSMIT, CoapResetError on a Reset; the endpoint carries on', async () => {
      const port = (peer.address() as { port: number }).port;
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await host.callJson<{ id: number }>('request', { port, method: Code.GET, path: ['x'] })).id);
      await host.settled();
      // NSTART 1: one in flight, one queued, the third refused at once.
      assert.deepEqual(
        responses.map((r) => r.id),
        [ids[2]],
      );
      assert.match(responses[0].error!, /^CoapCapacityError: request queue full/);

      const timedOut = await runVirtual(host, clock, 100_000, () => responses.length >= 2, 500);
      assert.ok(timedOut, 'the first request settled within 100 s of virtual time');
      assert.equal(responses[1].id, ids[0]);
      assert.match(responses[1].error!, /^CoapTimeoutError: no acknowledgement after MAX_RETRANSMIT/);
      // RFC 7252 §4.8: the last retransmission waits out MAX_TRANSMIT_SPAN + ACK_TIMEOUT·2^4 (62–93 s).
      assert.ok(clock.t >= 62_000 && clock.t <= 93_500, `timed out at ${clock.t} ms`);
      assert.equal(seen.filter((m) => m === seen[0]).length, 5, 'the first request and its 4 retransmissions');

      // The queued request goes out once the slot is free, and meets a Reset.
      const reset = await runVirtual(host, clock, 5_000, () => responses.length >= 3, 100);
      assert.ok(reset);
      assert.equal(responses[2].id, ids[1]);
      assert.match(responses[2].error!, /^CoapResetError: request reset by peer/);
      assert.deepEqual(host.errors, []);
      assert.deepEqual(
        host.errorLogs.filter((l) => /callback threw/.test(l)),
        [],
      );
    });
  });

  describe('the LwM2M client inside XS while its Bootstrap-Server is absent, then appears', () => {
    const EP = 'xs-absent-bs';
    const closers: Array<() => void | Promise<void>> = [];
    after(async () => {
      for (const c of closers.reverse()) await c();
    });

    it('times out the Bootstrap-Request, backs off, asks again, then bootstraps and registers once the Bootstrap-Server answers', async () => {
      // The Bootstrap-Server's socket exists from the start; nothing answers on it until the server is attached.
      const bsT = await openUdp({ address: '127.0.0.1', port: 0 });
      const srvT = await openUdp({ address: '127.0.0.1', port: 0 });
      closers.push(
        () => bsT.close(),
        () => srvT.close(),
      );
      const requests: Array<{ mid: number; at: number }> = [];
      const clock = new ManualTimers();
      bsT.onReceive = (data) => {
        const d = decodeMessage(data);
        if (d.ok && d.message.code === Code.POST) requests.push({ mid: d.message.messageId, at: clock.t });
      };
      const server = new LwM2MServer({ transport: srvT, timers: nodeTimers, random: nodeRandom, log: silentLogger });
      closers.push(() => server.close());
      const states: Array<{ state: string; at: number }> = [];
      const host = await XsHost.start({
        script: (await bundleForXs('host-tests/xs-harness/entries/flow.ts')).code,
        timers: clock,
        onEvent: (name, p) => {
          if (name !== 'client') return;
          const e = JSON.parse(utf8Decode(p)) as { type: string; state?: string };
          if (e.type === 'state') states.push({ state: e.state!, at: clock.t });
        },
      });
      closers.push(() => host.close());
      await host.callJson('start', { endpointName: EP, bsUri: `coap://127.0.0.1:${bsT.port}` });

      // A first Bootstrap-Request (and its retransmissions), then a new one after the back-off.
      const retried = await runVirtual(host, clock, 130_000, () => new Set(requests.map((r) => r.mid)).size >= 2, 500);
      assert.ok(retried, `a second Bootstrap-Request within 130 s (requests: ${JSON.stringify(requests)})`);
      const firstMid = requests[0].mid;
      const second = requests.find((r) => r.mid !== firstMid)!;
      const lastRetransmission = requests.filter((r) => r.mid === firstMid).at(-1)!;
      assert.equal(requests.filter((r) => r.mid === firstMid).length, 5);
      // Times out at most 93 s after the first send, then waits the initial back-off (10 s, 50–100 % jitter).
      assert.ok(second.at - requests[0].at <= 93_000 + 10_000 + 1_000, `retried ${second.at - requests[0].at} ms after the first`);
      assert.ok(second.at - lastRetransmission.at >= 5_000, 'not before the back-off');

      const bs = new BootstrapServer({
        transport: bsT,
        timers: nodeTimers,
        random: nodeRandom,
        log: silentLogger,
        config: { format: 'tlv', endpoints: { [EP]: { servers: [{ uri: `coap://127.0.0.1:${srvT.port}`, ssid: 101, lifetime: 300 }] } } },
      });
      closers.push(() => bs.close());
      const appearedAt = clock.t;
      const registered = await runVirtual(host, clock, 300_000, () => server.clients.has(EP), 250);
      assert.ok(registered, `registered (states: ${JSON.stringify(states)})`);
      // The next request after the Bootstrap-Server appeared is at most one back-off (20 s, then 40 s) plus 93 s away.
      assert.ok(
        clock.t - appearedAt <= 93_000 + 40_000 + 5_000,
        `registered ${clock.t - appearedAt} ms after the Bootstrap-Server appeared`,
      );
      const st = await host.callJson<{ state: string }>('state');
      assert.equal(st.state, 'registered');
      assert.deepEqual(host.errors, []);
      assert.deepEqual(
        host.errorLogs.filter((l) => /callback threw|not writable/.test(l)),
        [],
      );
    });
  });
});
