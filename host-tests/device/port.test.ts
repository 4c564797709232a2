// The host-checkable parts of the Moddable port: build-time settings,
// the trace logger, the tick counter wrap, the random port, bootstrap URI checks.
import { strict as assert } from 'node:assert';
import {
  DEFAULT_BOOTSTRAP_URI,
  MAX_PSK_IDENTITY_BYTES,
  MAX_PSK_KEY_BYTES,
  bootstrapHostName,
  checkBootstrapSecurity,
  checkBootstrapUri,
  describeSettings,
  endpointFromMac,
  parseLogLevel,
  readDeviceSettings,
  readPsk,
} from '../../firmware/platform/moddable/device-config';
import { createTraceLogger } from '../../firmware/platform/moddable/log';
import { TICK_WRAP, tickDelta } from '../../firmware/platform/moddable/ticks';
import { randomFrom } from '../../firmware/platform/moddable/random-port';
import { fill as esp32Fill } from '../../firmware/platform/moddable/esp32/entropy';

describe('device settings (mc/config → DeviceSettings)', () => {
  it('derives the endpoint name from the MAC when config.endpoint is empty', () => {
    const s = readDeviceSettings({ endpoint: '' }, 'A4D18CDBC020');
    assert.equal(s.endpointName, 'urn:dev:mac:a4d18cdbc020');
    assert.equal(s.device.serialNumber, 'A4D18CDBC020');
    assert.equal(endpointFromMac('00AABBCCDDEE'), 'urn:dev:mac:00aabbccddee');
  });

  it('leaves the endpoint undefined when neither config nor MAC gives one', () => {
    assert.equal(readDeviceSettings({}, undefined).endpointName, undefined);
  });

  it('uses the configured endpoint, bootstrap URI and identity', () => {
    const s = readDeviceSettings(
      {
        endpoint: 'node-7',
        bootstrap: 'coap://10.0.0.2:5685',
        manufacturer: 'ACME',
        model: 'esp32c3-devkitm',
        firmwareVersion: '1.2.3',
        serialNumber: 'SN1',
      },
      'a4d18cdbc020',
    );
    assert.equal(s.endpointName, 'node-7');
    assert.equal(s.bootstrapUri, 'coap://10.0.0.2:5685');
    assert.deepEqual(s.device, { manufacturer: 'ACME', modelNumber: 'esp32c3-devkitm', serialNumber: 'SN1', firmwareVersion: '1.2.3' });
  });

  it('parses mcconfig key=value strings into numbers and flags, rejecting out-of-range values', () => {
    const s = readDeviceSettings({ localPort: '56830', statusLedPin: '2', statusLedActiveLow: '1', logLevel: 'debug' }, undefined);
    assert.equal(s.localPort, 56830);
    assert.equal(s.statusLedPin, 2);
    assert.equal(s.statusLedActiveLow, true);
    assert.equal(s.logLevel, 'debug');
    const bad = readDeviceSettings({ localPort: '70000', statusLedPin: 'x', logLevel: 'loud' }, undefined);
    assert.equal(bad.localPort, 0);
    assert.equal(bad.statusLedPin, -1);
    assert.equal(bad.logLevel, 'info');
  });

  it('falls back to the documented defaults', () => {
    const s = readDeviceSettings({}, undefined);
    assert.equal(s.bootstrapUri, DEFAULT_BOOTSTRAP_URI);
    assert.equal(s.partition, 'lwm2m');
    assert.equal(s.localPort, 0);
    assert.equal(parseLogLevel(undefined), 'info');
    assert.equal(parseLogLevel('warn'), 'warn');
  });

  it('never puts the Wi-Fi password in the boot log line', () => {
    const s = readDeviceSettings({ ssid: 'lab', password: 'hunter2-secret' }, 'a4d18cdbc020');
    assert.equal(s.password, 'hunter2-secret');
    const line = describeSettings(s);
    assert.ok(line.includes('ssid=lab'));
    assert.ok(!line.includes('hunter2'));
  });

  it('explains bootstrap URIs the UDP port cannot reach', () => {
    assert.equal(checkBootstrapUri('coap://192.168.1.10:5685'), undefined);
    assert.equal(checkBootstrapUri('coap://192.168.1.10'), undefined);
    assert.equal(checkBootstrapUri('coap://bs.example.com:5685'), undefined, 'host names go through DNS');
    assert.match(checkBootstrapUri('coap://[fe80::1]:5685') ?? '', /IPv6/);
    assert.equal(checkBootstrapUri('coaps://192.168.1.10:5686'), undefined, 'coaps:// (DTLS with a PSK)');
    assert.equal(checkBootstrapUri('coaps://bs.example.com'), undefined);
    assert.match(checkBootstrapUri('coaps://[fe80::1]') ?? '', /IPv6/);
    assert.match(checkBootstrapUri('http://x') ?? '', /coap:\/\/.*coaps:\/\//);
    assert.match(checkBootstrapUri('coap://10.0.0.1:70000') ?? '', /out of range/);
  });

  it('names what is wrong with a bootstrap URI the firmware refuses to start with', () => {
    assert.match(checkBootstrapUri('coap//192.168.1.10:5685') ?? '', /^malformed: expected coap:\/\/<host>\[:port\]/);
    assert.match(checkBootstrapUri('coap:/192.168.1.10') ?? '', /^malformed/);
    assert.match(checkBootstrapUri('coap://') ?? '', /^malformed/);
    assert.match(checkBootstrapUri('coap://10.0.0.1:56a') ?? '', /^malformed/);
    assert.match(checkBootstrapUri('coap://user@10.0.0.1') ?? '', /^malformed/);
    assert.match(checkBootstrapUri('http://10.0.0.1:5685') ?? '', /^unknown scheme "http"/);
    assert.match(checkBootstrapUri('coap+tcp://10.0.0.1') ?? '', /^unknown scheme "coap\+tcp"/);
    assert.equal(checkBootstrapUri('coap://localhost:5685'), undefined);
  });

  it('names the bootstrap host DNS must resolve, not an IPv4 literal', () => {
    assert.equal(bootstrapHostName('coap://bs.example.com:5685'), 'bs.example.com');
    assert.equal(bootstrapHostName('coaps://localhost'), 'localhost');
    assert.equal(bootstrapHostName('coap://192.168.1.10:5685'), undefined);
  });
});

describe('device settings: the bootstrap PSK (pskIdentity= text, pskKey= hex)', () => {
  const KEY_HEX = '000102030405060708090a0b0c0d0e0f';
  const base = { bootstrap: 'coaps://10.0.0.2:5686' };
  /** Nothing the module says about a setting may contain the key, in either case, or its bytes as text. */
  const noKey = (text: string, keyHex = KEY_HEX) => {
    assert.ok(!text.toLowerCase().includes(keyHex.toLowerCase()), `key in: ${text}`);
  };

  it('parses the identity as text and the key as hex (either case, an optional 0x) into bytes', () => {
    const s = readDeviceSettings({ ...base, pskIdentity: 'node-7', pskKey: KEY_HEX.toUpperCase() }, undefined);
    assert.equal(s.bootstrapPsk?.identity, 'node-7');
    assert.deepEqual([...s.bootstrapPsk!.key], [...Array(16).keys()]);
    assert.equal(s.pskProblem, undefined);
    assert.equal(checkBootstrapSecurity(s), undefined, 'coaps with a usable PSK is fine');
    assert.deepEqual([...readPsk('x', `0x${KEY_HEX}`).bootstrapPsk!.key], [...Array(16).keys()]);
    assert.equal(readPsk(undefined, undefined).pskProblem, undefined, 'neither given: no PSK, no problem');
    assert.equal(readPsk('', '').bootstrapPsk, undefined);
  });

  it('refuses coaps:// without both values, with a message that names the build arguments', () => {
    for (const cfg of [{}, { pskIdentity: 'node-7' }, { pskKey: KEY_HEX }]) {
      const s = readDeviceSettings({ ...base, ...cfg }, undefined);
      assert.equal(s.bootstrapPsk, undefined);
      const c = checkBootstrapSecurity(s);
      assert.equal(c?.refuse, true, JSON.stringify(Object.keys(cfg)));
      assert.match(c!.message, /pskIdentity=.*pskKey=|pskKey=.*pskIdentity=/);
      noKey(c!.message);
    }
  });

  it('refuses a key that is not whole hex pairs, is too long, or is not text; the messages never echo it', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['00010203040506070809Oa0b0c0d0e0f', /hex digits/],
      ['0001020', /hex digits/],
      ['00 01 02 03', /hex digits/],
      ['0x', /hex digits/],
      ['ab'.repeat(MAX_PSK_KEY_BYTES + 1), new RegExp(`${MAX_PSK_KEY_BYTES + 1} bytes long; at most ${MAX_PSK_KEY_BYTES}`)],
      [1234567890123456, /hex digits/],
    ];
    for (const [key, re] of cases) {
      const s = readDeviceSettings({ ...base, pskIdentity: 'node-7', pskKey: key }, undefined);
      assert.equal(s.bootstrapPsk, undefined, String(key));
      assert.match(s.pskProblem ?? '', re, String(key));
      const c = checkBootstrapSecurity(s);
      assert.equal(c?.refuse, true);
      noKey(c!.message, String(key));
      noKey(describeSettings(s), String(key));
    }
    const long = readPsk('é'.repeat(MAX_PSK_IDENTITY_BYTES / 2 + 1), KEY_HEX);
    assert.match(
      long.pskProblem ?? '',
      new RegExp(`pskIdentity= is ${MAX_PSK_IDENTITY_BYTES + 2} bytes long`),
      'identity length counts UTF-8 bytes',
    );
    assert.equal(readPsk('é'.repeat(MAX_PSK_IDENTITY_BYTES / 2), KEY_HEX).pskProblem, undefined);
  });

  it('warns (does not refuse) when a PSK comes with a coap:// bootstrap URI (app.ts then leaves it out of the client)', () => {
    const s = readDeviceSettings({ bootstrap: 'coap://10.0.0.2:5685', pskIdentity: 'node-7', pskKey: KEY_HEX }, undefined);
    const c = checkBootstrapSecurity(s);
    assert.equal(c?.refuse, false);
    assert.match(c!.message, /ignored/);
  });

  it('shows the identity in the boot line, never the key', () => {
    const s = readDeviceSettings({ ...base, pskIdentity: 'node-7', pskKey: KEY_HEX, password: 'hunter2' }, 'a4d18cdbc020');
    const line = describeSettings(s);
    assert.match(line, /bootstrap=coaps:\/\/10\.0\.0\.2:5686 pskIdentity="node-7"/);
    noKey(line);
    assert.ok(!line.includes('hunter2'));
    assert.ok(!describeSettings(readDeviceSettings({ bootstrap: 'coap://10.0.0.2' }, undefined)).includes('psk'), 'no PSK, no mention');
  });
});

describe('trace logger', () => {
  it('filters by level and prefixes tag and level letter, one line per call', () => {
    const lines: string[] = [];
    const log = createTraceLogger('warn', (l) => lines.push(l));
    log.error('e1');
    log.warn('w1');
    log.info('i1');
    log.debug('d1');
    assert.deepEqual(lines, ['[lwm2m] E e1\n', '[lwm2m] W w1\n']);
    const all: string[] = [];
    const dbg = createTraceLogger('debug', (l) => all.push(l));
    dbg.debug('x');
    assert.deepEqual(all, ['[lwm2m] D x\n']);
  });
});

describe('tick counter (Time.ticks wrap)', () => {
  it('measures elapsed time across an unsigned 32-bit wrap', () => {
    assert.equal(tickDelta(TICK_WRAP - 10, 5), 15);
    assert.equal(tickDelta(1000, 1500), 500);
  });

  it('measures elapsed time across a signed 32-bit wrap', () => {
    assert.equal(tickDelta(2147483647 - 4, -2147483648 + 5), 10);
  });

  it('accumulates into a monotonic clock over several wraps', () => {
    let raw = TICK_WRAP - 1000;
    let last = raw;
    let mono = 0;
    for (let i = 0; i < 10; i++) {
      raw = (raw + 600_000_000) % TICK_WRAP; // ~7 days per step
      mono += tickDelta(last, raw);
      last = raw;
    }
    assert.equal(mono, 6_000_000_000);
  });
});

describe('random port', () => {
  const esp32 = randomFrom(esp32Fill);

  it('returns the requested number of bytes, any length', () => {
    for (const n of [0, 1, 3, 4, 5, 8, 33]) assert.equal(esp32.bytes(n).length, n);
  });

  it('covers the whole byte range and is not constant (ESP32: the hardware RNG behind Math.random)', () => {
    const seen = new Set<number>();
    const b = esp32.bytes(8192);
    for (const x of b) seen.add(x);
    assert.ok(seen.size > 250, `only ${seen.size} distinct byte values`);
    const f = esp32.float();
    assert.ok(f >= 0 && f < 1);
  });

  it("takes every byte from the board's entropy module (on lin: getrandom), floats from 53 of its bits", () => {
    let calls = 0;
    const r = randomFrom((buffer) => {
      calls++;
      new Uint8Array(buffer).fill(0xff);
    });
    assert.deepEqual([...r.bytes(5)], [0xff, 0xff, 0xff, 0xff, 0xff]);
    assert.equal(r.float(), 1 - 2 ** -53, 'all ones: the largest double below 1');
    assert.equal(calls, 2);
    assert.equal(randomFrom((buffer) => new Uint8Array(buffer).fill(0)).float(), 0);
  });
});
