// What the logs of the host tools carry: the time of each line, and with
// --log debug a trace of every CoAP message in and out, which never shows a
// payload that could hold a key.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Code, Type, encodeMessage } from '../../firmware/coap/message';
import { stringOption, uintOption } from '../../firmware/coap/options';
import { OptionNumber } from '../../firmware/coap/message';
import { ContentFormat, createFormats } from '../../firmware/formats';
import { toHex } from '../../firmware/util/hex';
import { utf8Encode } from '../../firmware/util/utf8';
import { describeDatagram } from '../../host/coap-trace';
import { serverAccountRecords } from '../../firmware/lwm2m/bootstrap/account-records';
import { ManagedProcess } from '../support/managed-process';

/** Test payloads in the default codecs, typed by the built-in definitions. */
const formats = createFormats();

const bin = fileURLToPath(new URL('../../bin/xs-lwm2m.js', import.meta.url));
const peer = { address: '127.0.0.1', port: 5683 };
const STAMP = /^\d\d:\d\d:\d\d\.\d{3} /;

describe('CoAP trace lines (--log debug)', () => {
  it('a Register: peer, type, method, path and query, Message ID, token, format and the links', () => {
    const msg = encodeMessage({
      type: Type.CON,
      code: Code.POST,
      messageId: 0x1234,
      token: Uint8Array.of(0xa1, 0xb2),
      options: [
        stringOption(OptionNumber.URI_PATH, 'rd'),
        uintOption(OptionNumber.CONTENT_FORMAT, ContentFormat.LINK_FORMAT),
        stringOption(OptionNumber.URI_QUERY, 'ep=node-1'),
        stringOption(OptionNumber.URI_QUERY, 'lt=300'),
      ],
      payload: utf8Encode('</1/0>,</3/0>'),
    });
    assert.equal(
      describeDatagram('out', msg, peer),
      '→ 127.0.0.1:5683 CON POST /rd?ep=node-1&lt=300 mid=4660 token=a1b2 ct=link-format 13 bytes: </1/0>,</3/0>',
    );
  });

  it('a response by its code name, with Location-Path; an undecodable datagram says so', () => {
    const ack = encodeMessage({
      type: Type.ACK,
      code: Code.CREATED,
      messageId: 7,
      token: Uint8Array.of(1),
      options: [stringOption(OptionNumber.LOCATION_PATH, 'rd'), stringOption(OptionNumber.LOCATION_PATH, '5')],
      payload: new Uint8Array(0),
    });
    assert.equal(describeDatagram('in', ack, peer), '← 127.0.0.1:5683 ACK 2.01 Created mid=7 token=01 location=/rd/5');
    assert.equal(
      describeDatagram('in', Uint8Array.of(0x40, 1), peer),
      '← 127.0.0.1:5683 undecodable (shorter than the 4-byte header), 2 bytes',
    );
  });

  it('a Bootstrap-Write of /0 shows its size, never its bytes (the PSK is in them)', () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i);
    const records = serverAccountRecords(1, 0, {
      uri: 'coaps://192.0.2.1:5684',
      ssid: 1,
      psk: { identity: utf8Encode('id-1'), key },
    }).security;
    const enc = formats.encode(ContentFormat.TLV, { objectId: 0 }, records);
    assert.ok(enc.ok);
    const msg = encodeMessage({
      type: Type.CON,
      code: Code.PUT,
      messageId: 1,
      token: Uint8Array.of(9),
      options: [stringOption(OptionNumber.URI_PATH, '0'), uintOption(OptionNumber.CONTENT_FORMAT, ContentFormat.TLV)],
      payload: enc.value,
    });
    const line = describeDatagram('out', msg, peer);
    assert.match(line, /^→ 127\.0\.0\.1:5683 CON PUT \/0 mid=1 token=09 ct=tlv \d+ bytes$/);
    assert.ok(!line.includes(toHex(key)) && !line.includes(String.fromCharCode(...key)));
  });
});

describe('logs of xs-lwm2m server and client', function () {
  this.timeout(60_000);
  let server: ManagedProcess | undefined;
  let client: ManagedProcess | undefined;
  after(async () => {
    await client?.stop(5000, 'SIGINT');
    await server?.stop(5000, 'SIGINT');
  });

  it('each line starts with the time; --log debug traces every CoAP message both ways', async () => {
    server = new ManagedProcess('server', process.execPath, [
      bin,
      'server',
      '--port',
      '0',
      '--coaps-port',
      '0',
      '--address',
      '127.0.0.1',
      '--log',
      'debug',
    ]);
    const port = (await server.waitForLine(/listening on 127\.0\.0\.1:(\d+) \(coap\)/, 20_000))[1];
    client = new ManagedProcess('client', process.execPath, [
      bin,
      'client',
      '--server',
      `coap://127.0.0.1:${port}`,
      '--endpoint',
      'log-1',
      '--log',
      'debug',
    ]);
    await server.waitForLine(/registered log-1/, 20_000);
    const sent = await client.waitForLine(
      new RegExp(
        `\\[client\\] D coap: → 127\\.0\\.0\\.1:${port} CON POST /rd\\?ep=log-1&lt=300&lwm2m=1\\.1&b=U mid=\\d+ token=[0-9a-f]+ ct=link-format \\d+ bytes: </>;rt="oma\\.lwm2m"`,
      ),
      20_000,
    );
    assert.match(sent.input, STAMP);
    const answer = await client.waitForLine(
      /\[client\] D coap: ← 127\.0\.0\.1:\d+ ACK 2\.01 Created mid=\d+ token=[0-9a-f]+ location=\/rd\/1$/,
      20_000,
    );
    assert.match(answer.input, STAMP);
    const got = await server.waitForLine(/\[server\] D coap: ← 127\.0\.0\.1:\d+ CON POST \/rd\?ep=log-1/, 20_000);
    assert.match(got.input, STAMP);
    for (const l of [...server.grep(/\[server\]/), ...client.grep(/\[client\]/)]) assert.match(l, STAMP, `a line without its time: ${l}`);
  });
});
