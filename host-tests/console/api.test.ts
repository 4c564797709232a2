// The console's HTTP API as a script uses it: server-sent events, the 4xx
// answers to malformed input, PSK keys never shown, the loopback default.
// A real LwM2M Server, Bootstrap-Server and client on loopback UDP.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootstrapConfig } from '../../host/bootstrap-server';
import type { LwM2MClient } from '../../firmware/lwm2m/engine/client';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { BootstrapServer } from '../../host/bootstrap-server';
import type { DeviceJson, EndpointConfigJson, InfoJson, ObservationJson, ResultJson, SessionJson } from '../../host/console/api-types';
import { startConsole, type WebConsole } from '../../host/console/console-server';
import { LwM2MServer } from '../../host/lwm2m-server';
import { startNodeClient } from '../../host/runtime';
import { ManagedProcess } from '../support/managed-process';
import { nodeCrypto } from '../../firmware/platform/node/crypto';
import { toHex } from '../../firmware/util/hex';
import { PskStore } from '../../host/psk-store';

const EP = 'api-1';
const KEY = '00112233445566778899aabbccddeeff';
const BS_KEY = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';

interface Reply {
  status: number;
  body: string;
  json: () => unknown;
}

/** One HTTP exchange with the console (node:http, so the Host header can be anything). */
function http(web: WebConsole, method: string, path: string, o: { body?: string; type?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: o.host ?? `127.0.0.1:${web.port}` };
    if (o.type ?? (o.body !== undefined ? 'application/json' : undefined)) headers['content-type'] = o.type ?? 'application/json';
    const req = request({ host: '127.0.0.1', port: web.port, method, path, headers }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => {
          body += d;
        })
        .on('end', () => resolve({ status: res.statusCode!, body, json: () => JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** The named server-sent events of /api/events, as they arrive. */
function follow(web: WebConsole): {
  events: Array<{ event: string; data: unknown }>;
  until(pred: (e: { event: string; data: unknown }) => boolean): Promise<void>;
  close(): void;
} {
  const events: Array<{ event: string; data: unknown }> = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  const req = request({ host: '127.0.0.1', port: web.port, path: '/api/events', headers: { host: `127.0.0.1:${web.port}` } }, (res) => {
    res.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
      for (const w of [...waiters]) w();
    });
  });
  req.on('error', () => {});
  req.end();
  return {
    events,
    until: (pred) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (events.some(pred)) {
            waiters.splice(waiters.indexOf(check), 1);
            resolve();
          }
        };
        waiters.push(check);
        check();
      }),
    close: () => req.destroy(),
  };
}

describe('web console HTTP API', function () {
  this.timeout(30_000);
  let server: LwM2MServer;
  let bs: BootstrapServer;
  let client: LwM2MClient;
  let web: WebConsole;
  let bsPort: number;
  const post = (op: string, body: unknown) => http(web, 'POST', `/api/devices/${EP}/${op}`, { body: JSON.stringify(body) });

  before(async () => {
    const srvUdp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    const bsUdp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    server = new LwM2MServer({ transport: srvUdp, timers: nodeTimers, random: nodeRandom, log: silentLogger });
    bs = new BootstrapServer({
      transport: bsUdp,
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      config: {
        endpoints: {
          [EP]: { servers: [{ uri: `coap://127.0.0.1:${srvUdp.port}`, ssid: 101, lifetime: 120 }] },
          // An instance of an object this client does not implement (Location): every Finish is answered 4.06.
          'bad-1': { servers: [{ uri: `coap://127.0.0.1:${srvUdp.port}`, ssid: 101 }], writes: [{ path: '/6/0/0', value: 52.5 }] },
          'psk-node': {
            // Its own PSK: key material (the server account's key, /0/1/5) goes only to an endpoint DTLS authenticated.
            psk: { identity: 'psk-node-bs', keyHex: BS_KEY },
            servers: [{ uri: 'coaps://192.0.2.1:5684', ssid: 7, securityMode: 'psk', pskIdentity: 'node-identity', pskKeyHex: KEY }],
            writes: [{ path: '/0/1/5', value: KEY }],
          },
        },
      },
    });
    bsPort = bsUdp.port;
    web = await startConsole({ server, bootstrap: bs, port: 0 });
    const sse = follow(web);
    client = await startNodeClient({ endpointName: EP, bootstrapUri: `coap://127.0.0.1:${bsUdp.port}`, log: silentLogger });
    await sse.until((e) => e.event === 'device' && (e.data as DeviceJson).registered);
    sse.close();
  });

  after(async () => {
    await web?.close();
    await client?.stop();
    server?.close();
    bs?.close();
  });

  it('follows a bootstrap and a registration as server-sent events', async () => {
    const sessions = (await http(web, 'GET', '/api/bootstrap/sessions')).json() as SessionJson[];
    assert.equal(sessions.length, 1);
    assert.deepEqual(
      sessions[0].messages.map((m) => `${m.operation} ${m.path} ${m.code}`),
      [`Bootstrap-Request /bs?ep=${EP} 2.04`, 'Delete / 2.02', 'Write /0 2.04', 'Write /1 2.04', 'Discover / 2.05', 'Finish /bs 2.04'],
    );
    assert.equal(sessions[0].ok, true);
    const sse = follow(web);
    await post('write', { path: '/1/0/1', value: 90 }); // a lifetime change makes the client send an Update
    await sse.until((e) => e.event === 'device' && (e.data as DeviceJson).lifetime === 90);
    sse.close();
    const d = (await http(web, 'GET', `/api/devices/${EP}`)).json() as DeviceJson;
    assert.deepEqual(d.history.map((h) => `${h.event}: ${h.detail}`).slice(-1), ['updated: lifetime 120 → 90 s']);
  });

  it('records a bootstrap the client refuses: the 4.06, its reason and the diagnostic', async () => {
    const sse = follow(web);
    const bad = await startNodeClient({ endpointName: 'bad-1', bootstrapUri: `coap://127.0.0.1:${bsPort}`, log: silentLogger });
    try {
      await sse.until(
        (e) => e.event === 'bootstrap' && (e.data as SessionJson).endpoint === 'bad-1' && (e.data as SessionJson).ok === false,
      );
    } finally {
      sse.close();
      await bad.stop();
    }
    const s = ((await http(web, 'GET', '/api/bootstrap/sessions')).json() as SessionJson[]).find((x) => x.endpoint === 'bad-1')!;
    const finishes = s.messages.filter((m) => m.operation === 'Finish');
    assert.deepEqual(
      finishes.map((m) => m.status),
      ['4.06 Not Acceptable', '4.06 Not Acceptable'],
      'refused, deleted and tried once more',
    );
    assert.ok(finishes[0].reason, "the client's diagnostic on the 4.06");
    assert.equal(s.diagnostic, `Finish answered 4.06: ${finishes[1].reason}`);
  });

  it('runs an operation and answers with the code, its name, the format and named values', async () => {
    const r = await post('read', { path: '/3/0/0', format: 'senml-json' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), {
      code: '2.05',
      status: '2.05 Content',
      ok: true,
      format: 'senml-json',
      records: [{ path: '/3/0/0', value: 'xs-lwm2m', name: 'Manufacturer', type: 'string' }],
    });
    const refused = (await post('execute', { path: '/3/0/0' })).json() as ResultJson;
    assert.equal(refused.status, '4.05 Method Not Allowed');
    assert.equal(refused.ok, false);
    assert.ok(refused.reason, "the client's reason text");
    const power = (await post('read', { path: '/3/0/6' })).json() as ResultJson;
    assert.deepEqual(
      power.records?.map((x) => [x.path, x.value, x.label]),
      [['/3/0/6/0', 5, 'USB']],
      'an enumeration comes with its name',
    );
  });

  for (const [what, method, path, opts, status, reason] of [
    ['a body that is not JSON', 'POST', `/api/devices/${EP}/read`, { body: '{bad' }, 400, /^body is not JSON/],
    ['a JSON body that is not an object', 'POST', `/api/devices/${EP}/read`, { body: '[1]' }, 400, /^body must be a JSON object$/],
    ['another Content-Type', 'POST', `/api/devices/${EP}/read`, { body: '{"path":"/3/0"}', type: 'text/plain' }, 415, /application\/json/],
    [
      'a body over 64 KiB',
      'POST',
      `/api/devices/${EP}/read`,
      { body: JSON.stringify({ path: 'x'.repeat(70_000) }) },
      413,
      /larger than 65536 bytes/,
    ],
    ['no path', 'POST', `/api/devices/${EP}/read`, { body: '{}' }, 400, /^"path" is missing$/],
    ['a path of the wrong type', 'POST', `/api/devices/${EP}/read`, { body: '{"path":3}' }, 400, /^"path" must be a string$/],
    ['a bad path', 'POST', `/api/devices/${EP}/read`, { body: '{"path":"/3/x"}' }, 400, /^bad path "\/3\/x"/],
    [
      'an unknown format',
      'POST',
      `/api/devices/${EP}/read`,
      { body: '{"path":"/3/0","format":"xml"}' },
      400,
      /^"format" must be one of text, opaque, cbor, senml-json, senml-cbor, tlv, json$/,
    ],
    [
      'a value not of the resource type',
      'POST',
      `/api/devices/${EP}/write`,
      { body: '{"path":"/1/0/1","value":"abc"}' },
      400,
      /Lifetime is an Integer/,
    ],
    [
      'a value of the wrong JSON type',
      'POST',
      `/api/devices/${EP}/write`,
      { body: '{"path":"/1/0/1","value":[1]}' },
      400,
      /must be text, a number or a boolean/,
    ],
    [
      'a resource id that is not one',
      'POST',
      `/api/devices/${EP}/write`,
      { body: '{"path":"/1/0","values":{"x":1}}' },
      400,
      /"x" in "values" is not a resource id/,
    ],
    [
      'Write-Composite with a composite format only',
      'POST',
      `/api/devices/${EP}/write-composite`,
      { body: '{"values":{"/3/0/14":"+01:00"},"format":"tlv"}' },
      400,
      /"format" must be one of senml-json, senml-cbor/,
    ],
    [
      'composite paths that are not a list',
      'POST',
      `/api/devices/${EP}/read-composite`,
      { body: '{"paths":"/3/0"}' },
      400,
      /"paths" must be an array/,
    ],
    [
      'an attribute that is not a number',
      'POST',
      `/api/devices/${EP}/attributes`,
      { body: '{"path":"/3/0/13","attributes":{"pmin":"soon"}}' },
      400,
      /attribute pmin must be a number/,
    ],
    ['Execute on an instance', 'POST', `/api/devices/${EP}/execute`, { body: '{"path":"/3/0"}' }, 400, /Execute names a resource/],
    ['an unknown operation', 'POST', `/api/devices/${EP}/frob`, { body: '{}' }, 404, /no operation "frob"/],
    ['a device that is not registered', 'POST', '/api/devices/nobody/read', { body: '{"path":"/3/0"}' }, 404, /nobody is not registered/],
    ['an operation by GET', 'GET', `/api/devices/${EP}/read`, {}, 405, /read is a POST/],
    ['an unknown route', 'GET', '/api/frob', {}, 404, /no API route GET \/api\/frob/],
    ['an unknown observation', 'DELETE', '/api/observations/999', {}, 404, /no observation 999/],
    ['an endpoint without bootstrap configuration', 'GET', '/api/bootstrap/config/nobody', {}, 404, /no configuration for nobody/],
    ['a foreign Host (DNS rebinding)', 'GET', '/api/info', { host: 'attacker.example:80' }, 403, /not to attacker\.example:80/],
  ] as Array<[string, string, string, { body?: string; type?: string; host?: string }, number, RegExp]>) {
    it(`answers ${what} with ${status} and a JSON reason`, async () => {
      const r = await http(web, method, path, opts);
      assert.equal(r.status, status, r.body);
      assert.match((r.json() as { error: string }).error, reason);
    });
  }

  it('still serves after all of that, and the bad Write changed nothing', async () => {
    assert.equal((await http(web, 'GET', '/api/info')).status, 200);
    const r = (await post('read', { path: '/1/0/1' })).json() as ResultJson;
    assert.equal(r.records![0].value, 90);
  });

  it('holds one observation per path, cancels it with DELETE', async () => {
    const first = await post('observe', { path: '/3/0/14' });
    assert.equal(first.status, 200);
    const { observation, result } = first.json() as { observation: ObservationJson; result: ResultJson };
    assert.equal(result.code, '2.05');
    const again = await post('observe', { path: '/3/0/14' });
    assert.equal(again.status, 409);
    assert.match(
      (again.json() as { error: string }).error,
      new RegExp(`already observing /3/0/14 on ${EP} \\(observation ${observation.id}\\)`),
    );
    const sse = follow(web);
    await post('write', { path: '/3/0/14', value: '+03:00' });
    await sse.until((e) => e.event === 'notify' && JSON.stringify(e.data).includes('+03:00'));
    sse.close();
    assert.equal((await http(web, 'DELETE', `/api/observations/${observation.id}`)).status, 200);
    assert.deepEqual((await http(web, 'GET', '/api/observations')).json(), []);
  });

  it('shows the Bootstrap-Server configuration with PSK identities and never a key', async () => {
    const all = await http(web, 'GET', '/api/bootstrap/config');
    const one = await http(web, 'GET', '/api/bootstrap/config/psk-node');
    for (const r of [all, one]) {
      assert.equal(r.status, 200);
      assert.doesNotMatch(r.body, new RegExp(KEY, 'i'), 'the key never leaves the process');
      assert.doesNotMatch(r.body, new RegExp(BS_KEY, 'i'), "nor the endpoint's own");
      assert.match(r.body, /node-identity/);
    }
    const c = one.json() as EndpointConfigJson;
    assert.equal(c.matched, 'psk-node');
    assert.equal(c.writes.find((w) => w.path === '/0/1/5')?.value, '(hidden)');
    assert.equal(c.writes.find((w) => w.path === '/0/1/3')?.value, `0x${Buffer.from('node-identity').toString('hex')}`);
    assert.deepEqual(c.config.writes, [{ path: '/0/1/5', value: '(hidden)' }]);
    assert.equal((await http(web, 'GET', `/api/bootstrap/config/any-other`)).status, 404);
  });

  it('edits a Bootstrap-Server entry: checked as a --config file, keys the console never showed kept', async () => {
    const shown = ((await http(web, 'GET', '/api/bootstrap/config/psk-node')).json() as EndpointConfigJson).config;
    assert.equal((shown.servers[0] as { pskKeyHex?: string }).pskKeyHex, undefined, 'no key shown');
    const edited = { ...shown, servers: [{ ...shown.servers[0], lifetime: 900 }] };
    const r = await http(web, 'PUT', '/api/bootstrap/config/psk-node', { body: JSON.stringify(edited) });
    assert.equal(r.status, 200, r.body);
    assert.doesNotMatch(r.body, new RegExp(KEY, 'i'));
    const entry = bs.config.endpoints['psk-node'];
    assert.equal(entry.servers[0].lifetime, 900);
    assert.equal(entry.servers[0].pskKeyHex, KEY, 'the key it had is kept');
    assert.equal(entry.writes?.[0].value, KEY, 'the hidden secret write is kept');
    const bad = await http(web, 'PUT', '/api/bootstrap/config/psk-node', {
      body: JSON.stringify({ ...edited, servers: [{ ...edited.servers[0], lifetime: -3, bindng: 'U' }] }),
    });
    assert.equal(bad.status, 400);
    const error = (bad.json() as { error: string }).error;
    assert.match(error, /2 problems:/);
    assert.match(error, /endpoints\["psk-node"\]\.servers\[0\]\.bindng: unknown field \(did you mean "binding"\?\)/);
    assert.match(error, /servers\[0\]\.lifetime: must be 0 or more/);
    assert.equal(bs.config.endpoints['psk-node'].servers[0].lifetime, 900, 'a refused entry changes nothing');
    assert.equal((await http(web, 'DELETE', '/api/bootstrap/config/nobody')).status, 404);
  });

  it('adds, lists and removes a PSK of the LwM2M Server; the key never comes back', async () => {
    const put = await http(web, 'PUT', '/api/security/dtls-7', { body: JSON.stringify({ identity: 'id-7', keyHex: KEY }) });
    assert.equal(put.status, 200, put.body);
    assert.deepEqual(put.json(), { endpoint: 'dtls-7', identity: 'id-7' });
    const list = await http(web, 'GET', '/api/security');
    assert.deepEqual(list.json(), [{ endpoint: 'dtls-7', identity: 'id-7' }]);
    assert.doesNotMatch(list.body, new RegExp(KEY, 'i'));
    assert.equal(toHex(server.psk.forEndpoint('dtls-7')!.key), KEY);
    for (const [body, status, reason] of [
      [{ identity: 'id-8', keyHex: 'xyz' }, 400, /"keyHex" must be 16 to 64 bytes/],
      [{ identity: 'id-8', keyHex: '0102030405060708' }, 400, /"keyHex" must be 16 to 64 bytes/],
      [{ identity: 'id-7', keyHex: KEY }, 409, /PSK identity "id-7" already belongs to dtls-7/],
      [{ keyHex: KEY }, 400, /"identity" is missing/],
    ] as Array<[unknown, number, RegExp]>) {
      const r = await http(web, 'PUT', '/api/security/dtls-8', { body: JSON.stringify(body) });
      assert.equal(r.status, status, r.body);
      assert.match((r.json() as { error: string }).error, reason);
      assert.doesNotMatch(r.body, new RegExp(KEY, 'i'));
    }
    assert.equal((await http(web, 'DELETE', '/api/security/dtls-7')).status, 200);
    assert.equal((await http(web, 'DELETE', '/api/security/dtls-7')).status, 404);
    assert.deepEqual((await http(web, 'GET', '/api/security')).json(), []);
  });

  it('listens on 127.0.0.1 by default', async () => {
    assert.match(web.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(web.address, '127.0.0.1');
    const info = (await http(web, 'GET', '/api/info', { host: `localhost:${web.port}` })).json() as InfoJson;
    assert.deepEqual([info.server, info.bootstrap], [true, true]);
  });

  for (const [cmd, extra, server, bootstrap] of [
    ['server', [], true, false],
    ['bootstrap-server', ['--config', fileURLToPath(new URL('../../examples/bootstrap.json', import.meta.url))], false, true],
  ] as Array<[string, string[], boolean, boolean]>) {
    it(`xs-lwm2m ${cmd} --http prints the console URL and serves its half`, async () => {
      const p = new ManagedProcess(cmd, process.execPath, [
        fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url)),
        cmd,
        '--port',
        '0',
        '--coaps-port',
        '0',
        '--address',
        '127.0.0.1',
        '--http',
        '0',
        ...extra,
      ]);
      try {
        const url = (await p.waitForLine(/web console: (http:\/\/127\.0\.0\.1:\d+\/)/, 20_000))[1];
        const info = (await (await fetch(`${url}api/info`)).json()) as InfoJson;
        assert.deepEqual([info.server, info.bootstrap], [server, bootstrap]);
        assert.equal((await fetch(url)).headers.get('content-type'), 'text/html; charset=utf-8');
      } finally {
        await p.stop(5000, 'SIGINT');
      }
    });
  }
});

describe('web console: changes written back to the files the tools were started with', function () {
  this.timeout(30_000);
  const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-console-files-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const put = (url: string, path: string, body: unknown) =>
    fetch(`${url}api/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('bootstrap-server --config: an entry saved in the console is in the file, with the keys it had', async () => {
    const file = join(dir, 'bootstrap.json');
    // An entry that writes keys has its own psk: keys go only to an endpoint DTLS authenticated.
    writeFileSync(
      file,
      JSON.stringify({
        endpoints: {
          n1: {
            psk: { identity: 'n1', keyHex: KEY },
            servers: [{ uri: 'coaps://192.0.2.1:5684', ssid: 1, securityMode: 'psk', pskIdentity: 'n1', pskKeyHex: KEY }],
          },
        },
      }),
    );
    const p = new ManagedProcess('bs', process.execPath, [
      bin,
      'bootstrap-server',
      '--config',
      file,
      '--port',
      '0',
      '--coaps-port',
      '0',
      '--address',
      '127.0.0.1',
      '--http',
      '0',
    ]);
    try {
      const url = (await p.waitForLine(/web console: (http:\/\/127\.0\.0\.1:\d+\/)/, 20_000))[1];
      const r = await put(url, 'bootstrap/config/n2', { servers: [{ uri: 'coap://192.0.2.2:5683', ssid: 2, lifetime: 60 }] });
      assert.equal(r.status, 200);
      await p.waitForLine(/configuration changed; .* rewritten/, 10_000);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as BootstrapConfig;
      assert.deepEqual(Object.keys(saved.endpoints), ['n1', 'n2']);
      assert.equal(saved.endpoints.n1.servers[0].pskKeyHex, KEY);
    } finally {
      await p.stop(5000, 'SIGINT');
    }
  });

  it('server --psk-file: a PSK added in the console is in the file', async () => {
    const file = join(dir, 'psk.json');
    writeFileSync(file, JSON.stringify({ a1: { identity: 'a1', keyHex: KEY } }));
    const p = new ManagedProcess('server', process.execPath, [
      bin,
      'server',
      '--psk-file',
      file,
      '--port',
      '0',
      '--coaps-port',
      '0',
      '--address',
      '127.0.0.1',
      '--http',
      '0',
    ]);
    try {
      const url = (await p.waitForLine(/web console: (http:\/\/127\.0\.0\.1:\d+\/)/, 20_000))[1];
      // Keys are at least 16 bytes.
      assert.equal((await put(url, 'security/b2', { identity: 'b2', keyHex: '0102030405060708090a0b0c0d0e0f10' })).status, 200);
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
        a1: { identity: 'a1', keyHex: KEY },
        b2: { identity: 'b2', keyHex: '0102030405060708090a0b0c0d0e0f10' },
      });
      assert.equal(statSync(file).mode & 0o077, 0, 'keys: readable by its owner only');
    } finally {
      await p.stop(5000, 'SIGINT');
    }
  });
});

describe('web console HTTP API: a device registered over coaps', function () {
  this.timeout(30_000);

  it('shows coaps and the PSK identity of the session, never its key', async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    const dtlsUdp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    const psk = new PskStore();
    const key = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    psk.set('dtls-1', 'dtls-identity', key);
    const server = new LwM2MServer({
      transport: udp,
      timers: nodeTimers,
      random: nodeRandom,
      log: silentLogger,
      psk,
      coaps: { transport: dtlsUdp, crypto: nodeCrypto },
    });
    const web = await startConsole({ server, port: 0 });
    const sse = follow(web);
    const client = await startNodeClient({
      endpointName: 'dtls-1',
      serverUri: `coaps://127.0.0.1:${dtlsUdp.port}`,
      psk: { identity: 'dtls-identity', key },
      log: silentLogger,
    });
    try {
      await sse.until((e) => e.event === 'device' && (e.data as DeviceJson).registered);
      const reply = await http(web, 'GET', '/api/devices/dtls-1');
      const d = reply.json() as DeviceJson;
      assert.equal(d.security, 'coaps');
      assert.equal(d.pskIdentity, 'dtls-identity');
      assert.ok(!reply.body.toLowerCase().includes(toHex(key)), 'no key in the answer');
      const list = await http(web, 'GET', '/api/devices');
      assert.ok(!list.body.toLowerCase().includes(toHex(key)));
    } finally {
      sse.close();
      await client.stop();
      await web.close();
      server.close();
    }
  });
});

describe('web console HTTP API: a device that registers again', function () {
  this.timeout(30_000);

  it('its observations end with the old registration: Observe works again at once, the old one is gone (404), nothing waits for the old peer', async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    const server = new LwM2MServer({ transport: udp, timers: nodeTimers, random: nodeRandom, log: silentLogger, requestTimeoutMs: 5000 });
    const web = await startConsole({ server, port: 0 });
    const sse = follow(web);
    const uri = `coap://127.0.0.1:${udp.port}`;
    const first = await startNodeClient({ endpointName: 'again-1', serverUri: uri, log: silentLogger });
    let second: LwM2MClient | undefined;
    const post = (op: string, body: unknown) => http(web, 'POST', `/api/devices/again-1/${op}`, { body: JSON.stringify(body) });
    try {
      await new Promise<void>((r) => {
        const t = setInterval(() => {
          if (server.clients.has('again-1')) {
            clearInterval(t);
            r();
          }
        }, 10);
      });
      await new Promise((r) => setTimeout(r, 50)); // our 2.01 reaches the client before the first DM request
      const o1 = (await post('observe', { path: '/3/0/14' })).json() as { observation: ObservationJson };
      first.halt(); // a reset: no De-register; the device comes back with a new Register
      await first.stop();
      second = await startNodeClient({ endpointName: 'again-1', serverUri: uri, log: silentLogger });
      await sse.until((e) => e.event === 'observation-ended' && (e.data as { id: string }).id === o1.observation.id);
      const ended = sse.events.find((e) => e.event === 'observation-ended')!.data as { reason: string };
      assert.equal(ended.reason, 'again-1 registered again');
      assert.deepEqual((await http(web, 'GET', '/api/observations')).json(), []);
      const again = await post('observe', { path: '/3/0/14' });
      assert.equal(again.status, 200, again.body);
      const cancelOld = await http(web, 'DELETE', `/api/observations/${o1.observation.id}`);
      assert.equal(cancelOld.status, 404);
    } finally {
      sse.close();
      await second?.stop();
      await web.close();
      server.close();
    }
  });
});
