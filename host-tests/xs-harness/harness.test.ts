// The XS engine harness itself: driver protocol, bundle rules, and the
// xs-host port (UDP over real loopback, timers, calls, events, logs).
import assert from 'node:assert/strict';
import { ManualTimers } from '../support/manual-timers';
import dgram from 'node:dgram';
import { XsWorker, XsError } from './driver';
import { bundleForXs } from './bundle';
import { XsHost } from './bridge';

describe('xs driver (xsnap-worker protocol)', () => {
  let w: XsWorker;
  afterEach(() => w?.close());

  it('evaluates code, returns ArrayBuffer results and a meter report', async () => {
    w = new XsWorker();
    const r = await w.evaluate('new Uint8Array([1, 2, 3]).buffer');
    assert.deepEqual([...r.reply], [1, 2, 3]);
    assert.ok(r.meter.currentHeapCount > 0);
    assert.ok(r.meter.compute > 0);
    assert.ok(r.meter.allocate > 0);
  });

  it('calls handleCommand and answers the queries it issues (synchronously for XS)', async () => {
    const seen: number[][] = [];
    w = new XsWorker({
      onQuery: async (q) => {
        seen.push([...q]);
        await new Promise((r) => setTimeout(r, 5));
        return new Uint8Array([q[0] * 2]);
      },
    });
    await w.evaluate(`globalThis.handleCommand = (ab) => {
      const a = new Uint8Array(issueCommand(new Uint8Array([21]).buffer));
      const b = new Uint8Array(issueCommand(new Uint8Array([a[0]]).buffer));
      return new Uint8Array([new Uint8Array(ab)[0], a[0], b[0]]).buffer;
    }`);
    const r = await w.command(new Uint8Array([7]));
    assert.deepEqual([...r.reply], [7, 42, 84]);
    assert.deepEqual(seen, [[21], [42]]);
  });

  it('turns an uncaught exception into a rejected call and keeps the engine usable', async () => {
    w = new XsWorker();
    await assert.rejects(w.evaluate('throw new TypeError("nope")'), (e: Error) => e instanceof XsError && /nope/.test(e.message));
    const r = await w.evaluate('new Uint8Array([9]).buffer');
    assert.deepEqual([...r.reply], [9]);
  });

  it('serialises concurrent calls in order', async () => {
    w = new XsWorker();
    await w.evaluate('globalThis.n = 0; globalThis.handleCommand = () => new Uint8Array([++globalThis.n]).buffer');
    const rs = await Promise.all([1, 2, 3, 4, 5].map(() => w.command(new Uint8Array(0))));
    assert.deepEqual(
      rs.map((r) => r.reply[0]),
      [1, 2, 3, 4, 5],
    );
  });

  it('passes print() lines to onPrint', async () => {
    const lines: string[] = [];
    w = new XsWorker({ onPrint: (l) => lines.push(l) });
    await w.evaluate('print("hello", 42)');
    for (let i = 0; i < 50 && !lines.length; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(lines, ['hello 42']);
  });

  it('rejects pending and later calls once the worker is gone', async () => {
    w = new XsWorker();
    await w.close();
    await assert.rejects(w.evaluate('1'), XsError);
    assert.equal(w.closed, true);
  });
});

describe('xs bundle', () => {
  it('fails when a Node built-in reaches the bundle', async () => {
    await assert.rejects(bundleForXs('host-tests/xs-harness/fixtures/uses-node.ts'), /node:fs.*not allowed in the XS bundle/s);
  });

  it('bundles the smoke entry into one script', async () => {
    const b = await bundleForXs('host-tests/xs-harness/entries/smoke.ts');
    assert.ok(b.bytes > 1000);
    assert.doesNotMatch(b.code, /\bimport\s*\(|\brequire\(/);
  });
});

describe('xs host port (xs-harness/port)', () => {
  let host: XsHost;
  let script: string;
  before(async () => {
    script = (await bundleForXs('host-tests/xs-harness/entries/smoke.ts')).code;
  });
  afterEach(() => host?.close());

  it('reports what the engine lacks (why the ports exist)', async () => {
    host = await XsHost.start({ script });
    const f = await host.callJson<Record<string, string>>('features');
    assert.equal(f.WebAssembly, 'undefined');
    assert.equal(f.setTimeout, 'undefined');
    assert.equal(f.process, 'undefined');
    assert.equal(f.BigInt, 'function');
  });

  it('exchanges datagrams with Node over real loopback UDP, bytes intact', async () => {
    host = await XsHost.start({ script });
    const port = Number(new TextDecoder().decode(await host.call('port')));
    assert.deepEqual(host.boundPorts, [port]);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    try {
      const payload = new Uint8Array(1200);
      for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
      const got = new Promise<Buffer>((r) => sock.once('message', r));
      sock.send(payload, port, '127.0.0.1');
      const echo = await got;
      assert.deepEqual([...echo], [...payload].reverse());
      assert.equal(host.stats.datagramsIn, 1);
      assert.equal(host.stats.datagramsOut, 1);
    } finally {
      sock.close();
    }
    assert.deepEqual(host.errors, []);
  });

  it('runs XS timers on an injected clock, in order, and honours clearTimeout', async () => {
    const clock = new ManualTimers(1000);
    const fired: Array<{ d: number; at: number }> = [];
    host = await XsHost.start({
      script,
      timers: clock,
      onEvent: (n, p) => {
        if (n === 'fired') fired.push(JSON.parse(new TextDecoder().decode(p)));
      },
    });
    await host.callJson('timers', [300, 100, 200]);
    clock.advance(150);
    await host.settled();
    assert.deepEqual(fired, [{ d: 100, at: 100 }]);
    clock.advance(1000);
    await host.settled();
    assert.deepEqual(fired, [
      { d: 100, at: 100 },
      { d: 200, at: 200 },
      { d: 300, at: 300 },
    ]);
    assert.equal(host.stats.timersFired, 3);
  });

  it('runs XS timers on real time too', async () => {
    host = await XsHost.start({ script });
    await host.callJson('timers', [5]);
    const p = JSON.parse(new TextDecoder().decode(await host.waitEvent('fired', 2000)));
    assert.equal(p.d, 5);
    // Real time: only that it fired after the call (Node may fire a ms early by performance.now()).
    assert.ok(p.at > 0);
  });

  it('settles async calls within the turn and reports thrown errors', async () => {
    host = await XsHost.start({ script });
    assert.deepEqual([...(await host.call('async', new Uint8Array([1, 2, 3])))], [3, 2, 1]);
    await assert.rejects(host.call('throws'), /RangeError: boom/);
    await assert.rejects(host.call('nothing'), /no call named nothing/);
  });

  it('relays XS logs with their level', async () => {
    const logs: string[] = [];
    host = await XsHost.start({ script, onLog: (l, m) => logs.push(`${l}:${m}`) });
    await host.call('log');
    assert.deepEqual(logs, ['info:hello from XS']);
  });
});
