// The xs-lwm2m command line: clear errors for bad arguments, and the demo.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('xs-lwm2m CLI', () => {
  it('prints usage for help', () => {
    const r = run('help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /usage: xs-lwm2m <command>/);
  });

  it('prints the usage and exits 2 (a usage error) without arguments', () => {
    const r = run();
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no command given/);
    assert.match(r.stderr, /usage: xs-lwm2m <command>/);
  });

  for (const cmd of ['demo', 'server', 'client', 'bootstrap-server']) {
    it(`${cmd} --help prints that command's usage and exits 0 without starting`, () => {
      const r = run(cmd, '--help');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: xs-lwm2m ${cmd} `));
      assert.doesNotMatch(r.stdout + r.stderr, /listening|Bootstrap-Server coap:|registered/);
    });
  }

  it('--version and version print the package version', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const arg of ['--version', 'version']) {
      const r = run(arg);
      assert.equal(r.status, 0);
      assert.equal(r.stdout, `xs-lwm2m ${version}\n`);
    }
  });

  for (const owner of ['server', 'bootstrap-server']) {
    it(`a UDP port in use is one line naming the likely owner and --port, exit 1 (${owner})`, async () => {
      const sock = createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
      try {
        const taken = String(sock.address().port);
        const extra =
          owner === 'bootstrap-server' ? ['--config', fileURLToPath(new URL('../../examples/bootstrap.json', import.meta.url))] : [];
        const r = run(owner, '--port', taken, '--address', '127.0.0.1', ...extra);
        assert.equal(r.status, 1, r.stderr);
        assert.equal(
          r.stderr,
          `xs-lwm2m: UDP port ${taken} on 127.0.0.1 is already in use, most likely by another xs-lwm2m server or bootstrap-server; stop it, or pick another port with --port <n>\n`,
        );
        const s = run(owner, '--port', '0', '--coaps-port', taken, '--address', '127.0.0.1', ...extra);
        assert.equal(s.status, 1, s.stderr);
        assert.equal(
          s.stderr,
          `xs-lwm2m: UDP port ${taken} on 127.0.0.1 is already in use, most likely by another xs-lwm2m server or bootstrap-server; stop it, or pick another port with --coaps-port <n>\n`,
        );
      } finally {
        sock.close();
      }
    });
  }

  describe("the client's PSK: from a file or the environment, never the command line, at least 16 bytes", () => {
    const dir = mkdtempSync(join(tmpdir(), 'xs-lwm2m-cli-key-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const keyFile = (name: string, text: string): string => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const coaps = ['client', '--endpoint', 'a', '--bootstrap', 'coaps://127.0.0.1:9', '--psk-identity', 'a'];
    const withEnv = (env: Record<string, string>, ...args: string[]) =>
      spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 5000, env: { ...process.env, ...env } });

    it('--psk-key is refused (exit 2): it would put the key in the process list; the message never echoes it', () => {
      const r = run(...coaps, '--psk-key', '000102030405060708090a0b0c0d0e0f');
      assert.equal(r.status, 2);
      assert.match(
        r.stderr,
        /--psk-key would put the key in the process list, where anyone on this machine can read it: give it with --psk-key-file <file> or XS_LWM2M_PSK_KEY_HEX/,
      );
      assert.ok(!r.stderr.includes('000102030405060708090a0b0c0d0e0f'));
    });

    it('a key shorter than 16 bytes is refused, from the file and from XS_LWM2M_PSK_KEY_HEX', () => {
      const f = run(...coaps, '--psk-key-file', keyFile('short', 'abcd\n'));
      assert.equal(f.status, 2);
      assert.match(f.stderr, /--psk-key-file .*short: the key is 2 bytes; a PSK needs at least 16 \(128 bits\)/);
      assert.ok(!f.stderr.includes('abcd'));
      const e = withEnv({ XS_LWM2M_PSK_KEY_HEX: '00112233445566778899aabbccddee' }, ...coaps);
      assert.equal(e.status, 2);
      assert.match(e.stderr, /XS_LWM2M_PSK_KEY_HEX: the key is 15 bytes; a PSK needs at least 16/);
      const bad = run(...coaps, '--psk-key-file', keyFile('bad', 'not a key'));
      assert.match(bad.stderr, /the key must be an even number of hex digits/);
      const twice = withEnv({ XS_LWM2M_PSK_KEY_HEX: '00'.repeat(16) }, ...coaps, '--psk-key-file', keyFile('ok1', '11'.repeat(16)));
      assert.match(twice.stderr, /the key is given twice/);
    });

    it('a 16-byte key from the file (whitespace and a newline allowed) or the environment starts the client', () => {
      for (const r of [
        withEnv({}, ...coaps, '--psk-key-file', keyFile('ok', '00112233 44556677\n8899aabb ccddeeff\n')),
        withEnv({ XS_LWM2M_PSK_KEY_HEX: '00112233445566778899aabbccddeeff' }, ...coaps),
      ]) {
        assert.notEqual(r.status, 2, r.stderr);
        assert.match(r.stdout + r.stderr, /Bootstrap-Request to coaps:\/\/127\.0\.0\.1:9/, 'it ran until stopped');
        assert.ok(!(r.stdout + r.stderr).includes('00112233445566778899aabbccddeeff'));
      }
    });

    it("the server's --psk-file and the Bootstrap-Server's configuration refuse keys shorter than 16 bytes", () => {
      const psk = keyFile('psk.json', JSON.stringify({ 'node-1': { identity: 'node-1', keyHex: '0011223344' } }));
      const r = run('server', '--psk-file', psk, '--port', '0', '--coaps-port', '0');
      assert.equal(r.status, 2);
      assert.match(r.stderr, /psk: node-1: the key is 5 bytes; a PSK needs at least 16/);
      const cfg = keyFile(
        'bs.json',
        JSON.stringify({
          endpoints: { 'node-1': { psk: { identity: 'node-1', keyHex: '0011' }, servers: [{ uri: 'coap://127.0.0.1:5683', ssid: 1 }] } },
        }),
      );
      const b = run('bootstrap-server', '--config', cfg, '--port', '0', '--coaps-port', '0');
      assert.equal(b.status, 2);
      assert.match(b.stderr, /endpoints\["node-1"\]\.psk\.keyHex: the key is 2 bytes; a PSK needs at least 16/);
    });
  });

  describe('usage errors are found before a port is bound, even with the default ports taken', () => {
    // The LwM2M ports every developer has in use (another server, Leshan): held here when free, so each
    // usage error below must be found before the command binds anything.
    const held: Array<{ close(): void }> = [];
    before(async () => {
      for (const port of [5683, 5684, 5685, 5686]) {
        const sock = createSocket('udp4');
        const ok = await new Promise<boolean>((r) => {
          sock.once('error', () => r(false));
          sock.bind(port, '0.0.0.0', () => r(true));
        });
        if (ok) held.push(sock);
        else sock.close();
      }
    });
    after(() => {
      for (const s of held) s.close();
    });

    const config = fileURLToPath(new URL('../../examples/bootstrap.json', import.meta.url));
    for (const [args, msg] of [
      [['server', '--http', 'abc'], /--http must be 0\.\.65535, not "abc"/],
      [['server', '--http-address', '127.0.0.1', '--http', '99999'], /--http must be 0\.\.65535/],
      [['bootstrap-server', '--config', config, '--http', 'abc'], /--http must be 0\.\.65535, not "abc"/],
      [['bootstrap-server', '--config', config, '--provision', 'nowhere'], /--provision wants <endpoint>@<ip>:<port>/],
      [['demo', '--http', 'abc'], /--http must be 0\.\.65535, not "abc"/],
    ] as Array<[string[], RegExp]>) {
      it(`${args.join(' ')}: exit 2 naming the option, not a port in use`, () => {
        const r = run(...args);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, msg);
        assert.doesNotMatch(r.stderr, /already in use/);
      });
    }
  });

  for (const [args, msg] of [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['client'], /client needs --endpoint/],
    [['client', '--endpoint', 'a'], /needs --bootstrap <uri> or --server <uri>/],
    [['client', '--endpoint', 'a', '--bootstrap', 'http://x'], /"http:\/\/x" is not a coap:\/\/ or coaps:\/\/ URI/],
    [
      ['client', '--endpoint', 'a', '--bootstrap', 'coaps://x:5684'],
      /a coaps:\/\/ URI needs --psk-identity <text> and the key, with --psk-key-file <file> or XS_LWM2M_PSK_KEY_HEX/,
    ],
    [['client', '--endpoint', 'a', '--bootstrap', 'coaps://x', '--psk-identity', 'a'], /needs --psk-identity <text> and the key/],
    [
      ['client', '--endpoint', 'a', '--bootstrap', 'coap://x', '--psk-identity', 'a', '--psk-key-file', 'k'],
      /--psk-identity and --psk-key-file are for a coaps:\/\/ URI/,
    ],
    [
      ['client', '--endpoint', 'a', '--bootstrap', 'coaps://x', '--psk-identity', 'a', '--psk-key-file', '/nonexistent'],
      /cannot read --psk-key-file \/nonexistent: ENOENT/,
    ],
    [['server', '--psk-file', '/nonexistent.json'], /cannot use \/nonexistent\.json/],
    [['server', '--coaps-port', 'x'], /--coaps-port must be 0\.\.65535/],
    [['server', '--port', '70000'], /--port must be 0\.\.65535/],
    [['bootstrap-server'], /needs --config/],
    [['bootstrap-server', '--config', '/nonexistent.json'], /cannot use \/nonexistent\.json/],
    [['server', '--log', 'loud'], /--log must be/],
    [['server', '--http', 'abc'], /--http must be 0\.\.65535, not "abc"/],
    [['server', '--timeout', '0'], /--timeout is in seconds, 0\.1 to 600, not "0"/],
    [['demo', '--timeout', 'soon'], /--timeout is in seconds/],
    [['server', '--bogus-flag'], /unknown option --bogus-flag for server/],
    [['demo', '--bogus-flag'], /unknown option --bogus-flag for demo/],
    [['server', '--once'], /--once is an option of demo, not of server/],
    [['demo', '--config', 'x.json'], /--config is an option of bootstrap-server, not of demo/],
    [['server', '--port'], /--port needs a value/],
    [['server', '--port', '1', '--port', '2'], /--port given twice/],
    [['demo', '--once=yes'], /--once takes no value/],
    [['server', '--require-ems=yes'], /--require-ems takes no value/],
    [['client', '--require-ems'], /--require-ems is an option of bootstrap-server and server, not of client/],
    [['server', 'extra'], /unexpected argument "extra"/],
    [['--bogus-flag'], /unknown option --bogus-flag: options follow a command/],
  ] as Array<[string[], RegExp]>) {
    it(`rejects ${args.join(' ')} with exit code 2`, () => {
      const r = run(...args);
      assert.equal(r.status, 2);
      assert.match(r.stderr, msg);
    });
  }

  it('a console port in use is one line naming --http, exit 1', async () => {
    const tcp = createServer();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    try {
      const taken = (tcp.address() as { port: number }).port;
      const r = run('server', '--port', '0', '--coaps-port', '0', '--address', '127.0.0.1', '--http', String(taken));
      assert.equal(r.status, 1, r.stderr);
      assert.equal(
        r.stderr,
        `xs-lwm2m: TCP port ${taken} on 127.0.0.1 is already in use, most likely by another xs-lwm2m console (server, bootstrap-server or demo); stop it, or pick another port with --http <n>\n`,
      );
    } finally {
      tcp.close();
    }
  });

  it('demo --once bootstraps, registers, reads /3/0 and exits 0', () => {
    const r = run('demo', '--once');
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /web console/, '--once starts no console unless asked');
    for (const line of [
      /Bootstrap-Request from xs-lwm2m-demo/,
      /Delete\s+\/\s+→ 2\.02/,
      /Write\s+\/0\s+→ 2\.04/,
      /Finish\s+\/bs\s+→ 2\.04/,
      /consistency check: consistent, committed/,
      /registered xs-lwm2m-demo at \/rd\//,
      /Read \/3\/0 → 2\.05 Content/,
      /\/3\/0\/0 Manufacturer\s+= "xs-lwm2m"/,
    ]) {
      assert.match(r.stdout, line);
    }
  });

  it('demo --once --coaps bootstraps and registers over DTLS with PSK, reads /3/0 and exits 0; no key printed', () => {
    const r = run('demo', '--once', '--coaps');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /Bootstrap-Server coaps:\/\/127\.0\.0\.1:\d+, LwM2M Server coaps:\/\/127\.0\.0\.1:\d+, endpoint "xs-lwm2m-demo" \(DTLS 1\.2, PSK identity "xs-lwm2m-demo"\)/,
    );
    for (const line of [/Finish\s+\/bs\s+→ 2\.04/, /registered xs-lwm2m-demo at \/rd\/1 .*over DTLS\)/, /Read \/3\/0 → 2\.05 Content/])
      assert.match(r.stdout, line);
    // The Discover line shows the accounts' URIs, never their keys: no 32-hex-digit run anywhere.
    assert.doesNotMatch(r.stdout + r.stderr, /[0-9a-f]{32}/i);
  });
});
