// Hello extensions: parsed in one pass with a cap (a ClientHello is decoded
// before its cookie is checked, so a stranger's datagram buys little), each
// type at most once; and the extended master secret (RFC 7627), which either
// role can require (RFC 7925 §16): then a peer that does not use it fails the
// handshake with handshake_failure (RFC 7627 §5.2).
import assert from 'node:assert/strict';
import { ContentType, ExtensionType, HandshakeType } from '../../firmware/dtls/constants';
import { encodeRecord } from '../../firmware/dtls/record';
import { DecodeError } from '../../firmware/dtls/bytes';
import {
  MAX_EXTENSIONS,
  decodeClientHello,
  encodeClientHello,
  encodeHandshakeFragment,
  type Extension,
} from '../../firmware/dtls/handshake-messages';
import { SERVER, established, makeRig } from './helpers';

function hello(extensions: Extension[]): Uint8Array {
  return encodeClientHello({
    clientVersion: 0xfefd,
    random: new Uint8Array(32),
    sessionId: new Uint8Array(0),
    cookie: new Uint8Array(0),
    cipherSuites: [0xc0a8],
    compressionMethods: Uint8Array.of(0),
    extensions,
  });
}

const many = (n: number, type = (i: number) => 0x1000 + i): Extension[] =>
  Array.from({ length: n }, (_, i) => ({ type: type(i), data: new Uint8Array(0) }));

/** In a hello that goes through, renames the extended_master_secret extension (type 0x0017, empty) to an unknown type. */
function withoutEms(msgType: number) {
  return (d: Uint8Array): boolean => {
    if (d[0] !== ContentType.handshake || d[13] !== msgType) return false;
    for (let i = 25; i + 4 <= d.length; i++) {
      if (d[i] === 0x00 && d[i + 1] === ExtensionType.extended_master_secret && d[i + 2] === 0 && d[i + 3] === 0) {
        d[i] = 0x7f;
        break;
      }
    }
    return false;
  };
}

describe('dtls: hello extensions', () => {
  it(`takes up to ${MAX_EXTENSIONS} extensions, refuses more, and any type twice`, () => {
    assert.equal(decodeClientHello(hello(many(MAX_EXTENSIONS))).extensions.length, MAX_EXTENSIONS);
    assert.throws(
      () => decodeClientHello(hello(many(MAX_EXTENSIONS + 1))),
      (e) => e instanceof DecodeError && /too many extensions/.test(e.message),
    );
    assert.throws(
      () => decodeClientHello(hello(many(MAX_EXTENSIONS, (i) => (i === 31 ? 0x1000 : 0x1000 + i)))),
      (e) => e instanceof DecodeError && /duplicate/.test(e.message),
    );
  });

  it('a ClientHello with 2,000 extensions from a stranger is dropped before any cookie work', () => {
    const rig = makeRig();
    const ch = hello(many(2000));
    rig.serverUdp.inject(encodeRecord(ContentType.handshake, 0, 0, encodeHandshakeFragment(HandshakeType.client_hello, 0, ch)), {
      address: '10.9.9.9',
      port: 9,
    });
    assert.equal(rig.server.stats.helloVerifyRequests, 0);
    assert.equal(rig.server.stats.datagramsOut, 0);
  });

  it('a server that requires it refuses a client that does not offer it: handshake_failure', async () => {
    const rig = makeRig({ server: { requireExtendedMasterSecret: true }, dropFromClient: withoutEms(HandshakeType.client_hello) });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.s.failed.length === 1 && rig.c.failed.length === 1, 10_000);
    assert.equal(rig.s.failed[0].alertName, 'handshake_failure');
    assert.equal(rig.c.failed[0].alertName, 'handshake_failure');
    assert.equal(rig.server.stats.handshakesStarted, 1, 'refused at its ClientHello: no ServerHello went out');
  });

  it('a client that requires it refuses a server that does not use it: handshake_failure', async () => {
    const both = makeRig({ client: { requireExtendedMasterSecret: true }, server: { requireExtendedMasterSecret: true } });
    await established(both); // ours always use it
    // The server never sees the client's offer (renamed on the way), so its ServerHello does not use it.
    const rig = makeRig({ client: { requireExtendedMasterSecret: true }, dropFromClient: withoutEms(HandshakeType.client_hello) });
    rig.client.connect(SERVER.address, SERVER.port);
    await rig.clock.runUntil(() => rig.c.failed.length === 1, 10_000);
    assert.equal(rig.c.failed[0].reason, 'local_alert');
    assert.equal(rig.c.failed[0].alertName, 'handshake_failure');
  });
});
