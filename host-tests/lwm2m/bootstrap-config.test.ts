// The Bootstrap-Server's configuration is checked when it is loaded, not when a
// device connects: each mistake named by its place in the JSON, the client's own
// Bootstrap-Finish rules applied, a JSON syntax error by line and column, and
// the CLI printing the problems (not its usage text) with exit 2.
import { getObjectDef } from '../../firmware/model/objects';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { factoryTree } from '../../firmware/lwm2m/engine/client-options';
import { checkConsistency } from '../../firmware/lwm2m/bootstrap/consistency';
import { SECURITY_MODE } from '../../firmware/lwm2m/engine/ids';
import { nodeRandom, nodeTimers, openUdp } from '../../firmware/platform/node';
import { silentLogger } from '../../firmware/platform/ports';
import { configProblems, parseJsonText } from '../../host/bootstrap-config';
import { BootstrapServer, type BootstrapConfig } from '../../host/bootstrap-server';

const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));
const SRV = 'coap://192.0.2.10:5683';
const one = (server: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  endpoints: { '*': { servers: [{ uri: SRV, ssid: 1, ...server }], ...extra } },
});

describe('Bootstrap-Server configuration check', () => {
  for (const [what, cfg, problem] of [
    ['a negative lifetime', one({ lifetime: -3 }), 'endpoints["*"].servers[0].lifetime: must be 0 or more (seconds or a count), not -3'],
    [
      'a binding no client here can use',
      one({ binding: 'Z' }),
      'endpoints["*"].servers[0].binding: "Z" is not a binding a client here can use (U, with Q for Queue mode: "U" or "UQ")',
    ],
    ['a misspelt field', one({ lifetme: 300 }), 'endpoints["*"].servers[0].lifetme: unknown field (did you mean "lifetime"?)'],
    ['a lifetime of the wrong type', one({ lifetime: '300' }), 'endpoints["*"].servers[0].lifetime: must be a whole number, not "300"'],
    [
      'a write to a resource that is not defined',
      one({}, { writes: [{ path: '/3/0/99', value: 1 }] }),
      'endpoints["*"].writes[0].path: Device (/3) has no resource 99',
    ],
    [
      'a write to an object that is not defined',
      one({}, { writes: [{ path: '/64000/0/1', value: 1 }] }),
      'endpoints["*"].writes[0].path: object 64000 has no definition here',
    ],
    [
      'a write value not of the resource type',
      one({}, { writes: [{ path: '/1/0/1', value: 'soon' }] }),
      'endpoints["*"].writes[0].value: /1/0/1 Lifetime is an Integer (64-bit signed); "soon" is not one',
    ],
    ['an unknown format', { format: 'xml', endpoints: one({}).endpoints }, 'format: must be one of tlv, senml-json, senml-cbor, not "xml"'],
    ['a top-level typo', { endpoint: {} }, 'configuration.endpoint: unknown field (did you mean "endpoints"?)'],
  ] as Array<[string, unknown, string]>) {
    it(`names ${what}`, () => {
      assert.ok(configProblems(cfg).includes(problem), configProblems(cfg).join('\n'));
    });
  }

  it('names a duplicate Short Server ID once, by the second server', () => {
    const cfg = {
      endpoints: {
        'node-1': {
          servers: [
            { uri: SRV, ssid: 7 },
            { uri: 'coap://192.0.2.11:5683', ssid: 7 },
          ],
        },
      },
    };
    assert.deepEqual(configProblems(cfg), [
      'endpoints["node-1"].servers[1].ssid: 7 is servers[0]\'s too; each server needs its own Short Server ID',
    ]);
  });

  it('lists every problem, not the first only', () => {
    assert.equal(
      configProblems({ endpoints: { '*': { servers: [{ uri: SRV, ssid: 1, lifetime: -3, binding: 'Z', lifetme: 1 }] } } }).length,
      3,
    );
  });

  it("agrees with the client's Bootstrap-Finish check on what the accounts it writes may hold", () => {
    for (const server of [{ lifetime: 0 }, { lifetime: 1 }, { binding: 'UQ' }, { binding: 'U' }, { lifetime: 86400 }]) {
      const tree = factoryTree({ bootstrap: { uri: 'coap://192.0.2.1:5685' }, servers: [{ uri: SRV, ssid: 1, ...server }] });
      const client = checkConsistency(tree, {
        supportedObjects: new Set([0, 1, 2, 3]),
        supportedSecurityModes: new Set([SECURITY_MODE.NOSEC, SECURITY_MODE.PSK]),
        definition: getObjectDef,
      });
      const here = configProblems(one(server));
      assert.equal(
        here.length > 0,
        client.length > 0,
        `${JSON.stringify(server)}: the client says ${JSON.stringify(client)}, the configuration check ${JSON.stringify(here)}`,
      );
      for (const p of here) assert.match(p, /a client answers this 4\.06 at Bootstrap-Finish/);
    }
  });

  it('takes Opaque as hex and an Object Link as o:i in extra writes; the examples pass', () => {
    // An entry that carries keys has its own psk (keys go only to an endpoint DTLS authenticated).
    assert.deepEqual(
      configProblems({
        endpoints: {
          n: {
            psk: { identity: 'n', keyHex: 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff' },
            servers: [
              {
                uri: 'coaps://192.0.2.10:5684',
                ssid: 3,
                securityMode: 'psk',
                pskIdentity: 'n',
                pskKeyHex: '000102030405060708090a0b0c0d0e0f',
              },
            ],
            writes: [
              { path: '/0/1/5', value: '0x101112' },
              { path: '/3/0/14', value: '+01:00' },
              { path: '/3/0/13', value: '2026-05-01T12:00:00Z' },
            ],
          },
        },
      }),
      [],
    );
    for (const f of ['bootstrap.json', 'bootstrap-coaps.json']) {
      assert.deepEqual(configProblems(JSON.parse(readFileSync(new URL(`../../examples/${f}`, import.meta.url), 'utf8'))), [], f);
    }
  });

  it('a key never appears in a problem', () => {
    const key = 'a1a2a3a4a5a6a7a8a9aaabacadaeafb0';
    const problems = configProblems({
      endpoints: {
        n: {
          psk: { identity: 'n', keyHex: 'f0'.repeat(16) },
          servers: [{ uri: SRV, ssid: 1 }],
          writes: [{ path: '/0/1/5', value: `zz${key}` }],
        },
      },
    });
    assert.equal(problems.length, 1);
    assert.doesNotMatch(problems[0], new RegExp(key));
  });

  it('a JSON syntax error is given by line and column', () => {
    const r = parseJsonText('{\n  "endpoints": {\n    "*" 1\n  }\n}');
    assert.ok(!r.ok);
    assert.match(r.reason, /^not JSON: line 3, column 9: \S/); // V8 words the rest
    assert.doesNotMatch(r.reason, /position/);
  });

  it('the server refuses such a configuration when it is made or replaced, before any device', async () => {
    const udp = await openUdp({ address: '127.0.0.1', log: silentLogger });
    try {
      assert.throws(
        () =>
          new BootstrapServer({
            transport: udp,
            timers: nodeTimers,
            random: nodeRandom,
            log: silentLogger,
            config: one({ binding: 'Z' }) as BootstrapConfig,
          }),
        /binding: "Z"/,
      );
      const bs = new BootstrapServer({
        transport: udp,
        timers: nodeTimers,
        random: nodeRandom,
        log: silentLogger,
        config: one({}) as BootstrapConfig,
      });
      assert.throws(
        () => bs.configure(one({ lifetime: -3, ssid: 0 }) as BootstrapConfig),
        /2 problems:\n {2}endpoints\["\*"\]\.servers\[0\]\.ssid: must be 1\.\.65534, not 0\n {2}endpoints\["\*"\]\.servers\[0\]\.lifetime/,
      );
      assert.equal(bs.config.endpoints['*'].servers[0].ssid, 1, 'the old configuration stays');
    } finally {
      udp.close();
    }
  });
});

describe('xs-lwm2m bootstrap-server --config with mistakes', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-bsconfig-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (text: string) => {
    const file = join(dir, 'bootstrap.json');
    writeFileSync(file, text);
    return {
      file,
      r: spawnSync(
        process.execPath,
        [bin, 'bootstrap-server', '--config', file, '--port', '0', '--coaps-port', '0', '--address', '127.0.0.1'],
        { encoding: 'utf8', timeout: 20_000 },
      ),
    };
  };

  it('lists each problem on its own line and exits 2 before binding, without the usage text', () => {
    const { file, r } = run(
      JSON.stringify(one({ lifetime: -3, binding: 'Z', lifetme: 1 }, { writes: [{ path: '/3/0/99', value: 1 }] }), null, 2),
    );
    assert.equal(r.status, 2, r.stderr);
    assert.equal(
      r.stderr,
      `xs-lwm2m: cannot use ${file}: 4 problems:
  endpoints["*"].servers[0].lifetme: unknown field (did you mean "lifetime"?)
  endpoints["*"].servers[0].lifetime: must be 0 or more (seconds or a count), not -3
  endpoints["*"].servers[0].binding: "Z" is not a binding a client here can use (U, with Q for Queue mode: "U" or "UQ")
  endpoints["*"].writes[0].path: Device (/3) has no resource 99
`,
    );
  });

  it('a JSON syntax error: its line and column, no usage text', () => {
    const { file, r } = run('{\n  "endpoints": {\n    "*": { "servers": [] },\n  }\n}\n');
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`^xs-lwm2m: cannot use ${file.replace(/[/.]/g, '\\$&')}: not JSON: line 4, column 3: `));
    assert.doesNotMatch(r.stderr, /usage:/);
  });
});
