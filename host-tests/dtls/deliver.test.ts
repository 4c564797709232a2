// Application data goes up once the datagram's records are done: the layer
// above runs on a stack without the record layer's frames (on a device the XS
// stack is 1024 slots, and a CoAP handler with its flash write runs on top).
import assert from 'node:assert/strict';
import { CLIENT, SERVER, established, makeRig, sendText } from './helpers';

describe('dtls: handing application data up', () => {
  it("two records in one datagram reach onReceive in order, each from the top of the datagram's handling", async () => {
    const captured: Uint8Array[] = [];
    let capture = false;
    const rig = makeRig({
      dropFromClient: (d) => {
        if (capture) {
          captured.push(d.slice());
          return true;
        }
        return false;
      },
    });
    await established(rig);
    capture = true;
    sendText(rig.client, 'first', SERVER);
    sendText(rig.client, 'second', SERVER);
    await rig.clock.advance(1);
    assert.equal(captured.length, 2, 'each send is one datagram of one record');

    const stacks: string[] = [];
    const texts: string[] = [];
    const up = rig.server.onReceive!;
    rig.server.onReceive = (d, a, p) => {
      stacks.push(new Error().stack ?? '');
      texts.push(new TextDecoder().decode(d));
      up(d, a, p);
    };
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 100;
    try {
      const both = new Uint8Array(captured[0]!.length + captured[1]!.length);
      both.set(captured[0]!, 0);
      both.set(captured[1]!, captured[0]!.length);
      rig.serverUdp.inject(both, CLIENT);
    } finally {
      Error.stackTraceLimit = limit;
    }
    assert.deepEqual(texts, ['first', 'second']);
    for (const st of stacks) {
      assert.match(st, /DtlsTransport\.receive/, 'called while the datagram is handled');
      assert.doesNotMatch(st, /receiveRecord|receiveApplicationData|\.deliver/, 'not from inside the record layer');
    }
  });
});
