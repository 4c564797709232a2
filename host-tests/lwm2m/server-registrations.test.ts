// The LwM2M Server's registrations over a restart and a new Register, and a
// Firmware Update whose device stops on the way:
// - a restarted server with a registration store knows its devices at once (a
//   Read before any Update works) and answers their next Update 2.04, so they do
//   not register again; one whose lifetime ran out meanwhile is not restored;
// - a registration replaced by a new Register ends the server's observations of it;
// - `update … pull` ends when the device goes back to Idle or registers again,
//   instead of waiting 10 minutes for a Downloaded that will not come.
import assert from 'node:assert/strict';
import type { IncomingRequest, ObserveRelation, ResponseSpec } from '../../firmware/coap/api';
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { Code } from '../../firmware/coap/message';
import { ContentFormat } from '../../firmware/formats';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { utf8Encode } from '../../firmware/util/utf8';
import { LwM2MServer, type ServerEvent } from '../../host/lwm2m-server';
import { updateFirmware } from '../../host/firmware-update-job';
import type { RegistrationStore, SavedRegistration } from '../../host/registration-store';
import { fileRegistrationStore } from '../../host/registration-store';
import { startNodeClient } from '../../host/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRig, type Rig } from '../support/rig';

const WALL_EPOCH = Date.UTC(2026, 4, 1);

function memoryStore(): RegistrationStore & { saved: SavedRegistration[] } {
  const s = {
    saved: [] as SavedRegistration[],
    where: 'memory',
    load: () => s.saved.map((r) => ({ ...r })),
    save: (all: SavedRegistration[]) => {
      s.saved = all.map((r) => ({ ...r }));
    },
  };
  return s;
}

describe('LwM2M Server restarted with its registrations (in-memory network, virtual time)', () => {
  let rig: Rig;
  const made: LwM2MServer[] = [];
  afterEach(async () => {
    for (const s of made.splice(0)) s.close();
    await rig?.close();
  });

  function server(store: RegistrationStore, events: ServerEvent[]): LwM2MServer {
    const s = new LwM2MServer({
      transport: rig.net!.bind('127.0.0.60', 5683),
      timers: rig.clock!,
      random: rig.random,
      log: silentLogger,
      registrations: store,
      wallClock: () => WALL_EPOCH + rig.clock!.now(),
      onEvent: (e) => events.push(e),
    });
    made.push(s);
    return s;
  }

  it('knows the device at once after a restart and takes its next Update without a new Register', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    rig.servers[0].close();
    const store = memoryStore();
    const before: ServerEvent[] = [];
    const a = server(store, before);
    rig.client = rig.newClient({ factory: { servers: [{ uri: 'coap://127.0.0.60:5683', ssid: 7, lifetime: 300 }] } });
    rig.client.start();
    await rig.expect(() => a.clients.has('node-1'), 'registration');
    assert.equal(store.saved.length, 1);
    await rig.advance(30_000);
    a.close(); // the server goes down …
    await rig.advance(30_000);
    const after: ServerEvent[] = [];
    const b = server(store, after); // … and comes back
    assert.deepEqual([...b.clients.keys()], ['node-1'], 'restored at once');
    const r = await rig.settle(b.read('node-1', '/3/0/0'));
    assert.equal(r.code, '2.05', 'a Read works before the device sent anything');
    // lt=300: the Update is due 207 s after the Register.
    await rig.expect(() => after.some((e) => e.type === 'updated'), 'the Update', 200_000);
    assert.equal(rig.count('registered'), 1, 'the client did not register again');
    assert.ok(!after.some((e) => e.type === 'registered'));
  });

  it('a registration whose lifetime ran out while the server was down is not restored', async () => {
    rig = await openRig({ kind: 'memory', bootstrap: 'factory' });
    rig.servers[0].close();
    const store = memoryStore();
    const wall = WALL_EPOCH + rig.clock!.now();
    store.saved = [
      {
        endpoint: 'old-1',
        id: '4',
        address: '127.0.0.1',
        port: 1,
        lifetime: 60,
        binding: 'U',
        lwm2mVersion: '1.1',
        links: '</3/0>',
        registeredAt: wall - 200_000,
        lastUpdate: wall - 75_000,
        updates: 0,
      },
      {
        endpoint: 'fresh-1',
        id: '5',
        address: '127.0.0.1',
        port: 2,
        lifetime: 60,
        binding: 'U',
        lwm2mVersion: '1.1',
        links: '</3/0>',
        registeredAt: wall - 200_000,
        lastUpdate: wall - 20_000,
        updates: 3,
      },
    ];
    const events: ServerEvent[] = [];
    const b = server(store, events);
    assert.deepEqual([...b.clients.keys()], ['fresh-1']);
    assert.equal(b.clients.get('fresh-1')!.updates, 3);
    assert.deepEqual(
      store.saved.map((r) => r.endpoint),
      ['fresh-1'],
      'the expired one is dropped from the store',
    );
    // Its remaining lifetime (60 s + 10 s grace − 20 s) runs on from the restart.
    await rig.advance(49_000);
    assert.ok(b.clients.has('fresh-1'));
    await rig.advance(2_000);
    assert.ok(!b.clients.has('fresh-1'));
    assert.ok(events.some((e) => e.type === 'deregistered' && e.expired));
  });
});

describe('registrations on a real socket', function () {
  this.timeout(30_000);

  it('a file store survives the server: a new one on it restores the device', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-regs-'));
    const path = join(dir, 'registrations.json');
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    const a = new LwM2MServer({
      transport: udp,
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      registrations: fileRegistrationStore(path, silentLogger),
    });
    const client = await startNodeClient({ endpointName: 'file-1', serverUri: `coap://127.0.0.1:${udp.port}`, log: silentLogger });
    try {
      await new Promise<void>((r) => {
        const t = setInterval(() => {
          if (a.clients.has('file-1')) {
            clearInterval(t);
            r();
          }
        }, 20);
      });
      a.close();
      const udp2 = await openUdp({ address: '127.0.0.1', port: udp.port, log: silentLogger });
      const b = new LwM2MServer({
        transport: udp2,
        timers: nodeTimers,
        random: nodeRandom,
        log: silentLogger,
        registrations: fileRegistrationStore(path, silentLogger),
      });
      try {
        assert.ok(b.clients.has('file-1'));
        assert.equal((await b.read('file-1', '/3/0/0')).code, '2.05');
        await client.stop();
        assert.ok(!b.clients.has('file-1'), 'its De-register reached the restarted server');
      } finally {
        b.close();
      }
    } finally {
      await client.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a registration replaced by a new Register', function () {
  this.timeout(30_000);

  it('ends the observations of the old one: the same path can be observed again at once', async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    const server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
    const events: ServerEvent[] = [];
    server.listeners.add((e) => events.push(e));
    const waitFor = (pred: () => boolean) =>
      new Promise<void>((r) => {
        const t = setInterval(() => {
          if (pred()) {
            clearInterval(t);
            r();
          }
        }, 10);
      });
    const first = await startNodeClient({ endpointName: 'again-1', serverUri: `coap://127.0.0.1:${udp.port}`, log: silentLogger });
    let second: Awaited<ReturnType<typeof startNodeClient>> | undefined;
    try {
      await waitFor(() => server.clients.has('again-1'));
      const old = server.clients.get('again-1')!;
      first.halt(); // a reset: no De-register
      second = await startNodeClient({ endpointName: 'again-1', serverUri: `coap://127.0.0.1:${udp.port}`, log: silentLogger });
      await waitFor(() => server.clients.get('again-1') !== old && server.clients.has('again-1'));
      const e = events.find((x) => x.type === 'registered' && x.replaced);
      assert.ok(e && e.type === 'registered' && e.replaced === old, 'the event names the registration it replaced');
    } finally {
      first.halt();
      await first.stop(); // a halted client only releases its socket
      await second?.stop();
      server.close();
    }
  });
});

/**
 * A device with a Firmware Update object, driven by hand: it registers, lets
 * the server observe State (/5/0/3) and Update Result (/5/0/5), takes a Package
 * URI, says Downloading, and then does what the test tells it.
 */
async function scriptedFirmwareDevice(serverPort: number, ep: string) {
  const t = await openUdp({ address: '127.0.0.1', log: silentLogger });
  const coap = new CoapEndpoint({ transport: t, timers: nodeTimers, random: nodeRandom, log: silentLogger });
  const server = { address: '127.0.0.1', port: serverPort };
  const relations = new Map<string, ObserveRelation>();
  let state = 0,
    result = 0;
  let gotUri: () => void = () => {};
  const uriWritten = new Promise<void>((r) => {
    gotUri = r;
  });
  const value = (n: number): ResponseSpec => ({ code: Code.CONTENT, contentFormat: ContentFormat.TEXT, payload: utf8Encode(String(n)) });
  coap.onRequest = (req: IncomingRequest): ResponseSpec => {
    const path = '/' + req.path.join('/');
    if (req.method === Code.GET && (path === '/5/0/3' || path === '/5/0/5')) {
      if (req.observe === 0) {
        const rel = req.acceptObserve();
        if (rel) relations.set(path, rel);
      }
      return value(path === '/5/0/3' ? state : result);
    }
    if (req.method === Code.PUT && path === '/5/0/1') {
      gotUri();
      return { code: Code.CHANGED };
    }
    return { code: Code.NOT_FOUND };
  };
  const register = () =>
    coap.request(server, {
      method: Code.POST,
      path: ['rd'],
      query: [`ep=${ep}`, 'lt=300', 'lwm2m=1.1', 'b=U'],
      contentFormat: ContentFormat.LINK_FORMAT,
      payload: utf8Encode('</1/0>,</3/0>,</5/0>'),
    });
  await register();
  return {
    uriWritten,
    setState: (n: number) => {
      state = n;
      void relations
        .get('/5/0/3')
        ?.notify(value(n))
        .catch(() => {});
    },
    setResult: (n: number) => {
      result = n;
      void relations
        .get('/5/0/5')
        ?.notify(value(n))
        .catch(() => {});
    },
    register,
    close: () => {
      coap.close();
      t.close();
    },
  };
}

describe('update … pull and a device that stops on the way', function () {
  this.timeout(30_000);
  let server: LwM2MServer;
  beforeEach(async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    server = new LwM2MServer({
      transport: udp,
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      advertise: { address: '127.0.0.1' },
    });
  });
  afterEach(() => server.close());
  const port = () => (server as unknown as { o: { transport: { port: number } } }).o.transport.port;

  it('ends when the device goes from Downloading back to Idle (a cancel on the device), naming State and Update Result', async () => {
    const dev = await scriptedFirmwareDevice(port(), 'fw-idle');
    try {
      const outcome = updateFirmware(server, 'fw-idle', new Uint8Array(4096), { method: 'pull' });
      await dev.uriWritten;
      dev.setState(1);
      await new Promise((r) => setTimeout(r, 100));
      dev.setState(0);
      const o = await outcome;
      assert.equal(o.ok, false);
      assert.equal(o.reason, 'the download stopped: State is Idle (0), Update Result Initial value (0) (cancelled on the device?)');
    } finally {
      dev.close();
    }
  });

  it('ends when the device registers again during the download (it restarted)', async () => {
    const dev = await scriptedFirmwareDevice(port(), 'fw-again');
    try {
      const outcome = updateFirmware(server, 'fw-again', new Uint8Array(4096), { method: 'pull' });
      await dev.uriWritten;
      dev.setState(1);
      await dev.register();
      const o = await outcome;
      assert.equal(o.ok, false);
      assert.match(o.reason!, /^fw-again registered again during the download \(State was Downloading \(1\)\)$/);
    } finally {
      dev.close();
    }
  });
});

describe('xs-lwm2m server --state', function () {
  this.timeout(60_000);

  it('a restarted server lists its device at once and can read it', async () => {
    const { ManagedProcess } = await import('../support/managed-process');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-server-state-'));
    const args = (port: string) => [bin, 'server', '--port', port, '--coaps-port', '0', '--address', '127.0.0.1', '--state', dir];
    let srv = new ManagedProcess('server', process.execPath, args('0'));
    let client: Awaited<ReturnType<typeof startNodeClient>> | undefined;
    try {
      const port = (await srv.waitForLine(/listening on 127\.0\.0\.1:(\d+) \(coap\)/, 20_000))[1];
      client = await startNodeClient({ endpointName: 'kept-1', serverUri: `coap://127.0.0.1:${port}`, log: silentLogger });
      await srv.waitForLine(/registered kept-1/, 20_000);
      await srv.stop(5000, 'SIGINT');
      srv = new ManagedProcess('server', process.execPath, args(port));
      await srv.waitForLine(/1 registration restored from .*registrations\.json/, 20_000);
    } finally {
      await srv.stop(5000, 'SIGINT');
      client?.halt();
      await client?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
