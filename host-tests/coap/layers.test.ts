// The lower layers of the CoAP stack on their own: the Deadlines timer, the
// transport seam's peer identity, the reliability layer's retransmission and
// ACK/RST matching, and the matcher's deduplication and token matching.
// (Block-wise, observe and the request/response layers are tested through an
// endpoint in blockwise.test.ts, observe.test.ts and exchange.test.ts.)
import assert from 'node:assert/strict';
import { Deadlines, type DeadlineOwner } from '../../firmware/coap/deadlines';
import { Matcher } from '../../firmware/coap/matcher';
import { Reliability, NON_MID_MEMORY } from '../../firmware/coap/reliability';
import { StackContext } from '../../firmware/coap/stack-context';
import { TransportSeam } from '../../firmware/coap/transport';
import { newStats } from '../../firmware/coap/stack-context';
import { Code, Type, decodeMessage, encodeMessage, type CoapMessage } from '../../firmware/coap/message';
import { silentLogger, type DatagramTransport } from '../../firmware/platform/ports';
import type { ClientExchange, ObservedRelation, Outgoing, OutgoingOwner, OutgoingSubject, TokenOwner } from '../../firmware/coap/exchange';
import type { Peer } from '../../firmware/coap/api';
import { SeededRandom } from '../support/seeded-random';
import { VirtualClock } from '../support/virtual-clock';
import { message } from './helpers';
import { toHex } from '../../firmware/util/hex';

const PEER: Peer = { address: '10.0.0.9', port: 5683 };
const KEY = '10.0.0.9/5683';

/** A transport that records what the stack sends and lets the test deliver datagrams. */
class Wire implements DatagramTransport {
  onReceive: ((data: Uint8Array, address: string, port: number) => void) | null = null;
  readonly sent: CoapMessage[] = [];
  readonly times: number[] = [];
  constructor(private readonly clock: VirtualClock) {}
  send(data: Uint8Array): void {
    const d = decodeMessage(data);
    if (!d.ok) throw new Error(d.error);
    this.sent.push(d.message);
    this.times.push(this.clock.now());
  }
  deliver(m: CoapMessage, from: Peer = PEER): void {
    this.onReceive?.(encodeMessage(m), from.address, from.port);
  }
  close(): void {}
}

function stack(opts: { dedupCapacity?: number } = {}) {
  const clock = new VirtualClock();
  const wire = new Wire(clock);
  const ctx = new StackContext({ transport: wire, timers: clock, random: new SeededRandom(7), log: silentLogger, ...opts });
  const reliability = new Reliability(ctx);
  const matcher = new Matcher(ctx, reliability);
  ctx.seam.listen((data, peer) => matcher.receive(data, peer));
  return { clock, wire, ctx, reliability, matcher };
}

class Owner implements OutgoingOwner {
  readonly events: string[] = [];
  acked(out: Outgoing, msg: CoapMessage): void {
    this.events.push(`ack ${out.messageId} ${msg.code}`);
  }
  reset(_s: OutgoingSubject, out: Outgoing | null): void {
    this.events.push(`reset ${out ? out.messageId : 'non'}`);
  }
  timedOut(out: Outgoing): void {
    this.events.push(`timeout ${out.messageId}`);
  }
}

describe('CoAP layers, one by one', () => {
  describe('Deadlines (one timer for the whole stack)', () => {
    type Item = { due: number; dueOwner: null; name: string };
    const item = (name: string): Item => ({ due: Infinity, dueOwner: null, name });

    it('hands records to their owners in due order with a single armed timer, and re-arms for later ones', async () => {
      const clock = new VirtualClock();
      const fired: string[] = [];
      const owner = { expired: (r: { name?: string }) => fired.push(`${r.name}@${clock.now()}`) } as unknown as DeadlineOwner;
      const d = new Deadlines(clock);
      const a = item('a'),
        b = item('b'),
        c = item('c');
      d.schedule(a, 300, owner);
      d.schedule(b, 100, owner);
      d.schedule(c, 200, owner);
      assert.equal(clock.pending, 1, 'one timer whatever the number of records');
      d.cancel(c);
      await clock.advance(1000);
      assert.deepEqual(fired, ['b@100', 'a@300']);
      assert.equal(d.size, 0);
      assert.equal(clock.pending, 0);
    });

    it('lets expired() schedule the record again (a retransmission), and stops the timer when the last record is cancelled', async () => {
      const clock = new VirtualClock();
      let n = 0;
      const d = new Deadlines(clock);
      const owner: DeadlineOwner = {
        expired: (x) => {
          if (++n < 3) d.schedule(x, 50, owner);
        },
      };
      d.schedule(item('r'), 50, owner);
      await clock.advance(1000);
      assert.equal(n, 3);
      const last = item('s');
      d.schedule(last, 500, owner);
      d.cancel(last);
      assert.equal(clock.pending, 0, 'no timer left waking for nothing');
    });
  });

  describe('TransportSeam', () => {
    it('gives each datagram a Peer, with the identity an identifying transport (DTLS) vouches for', () => {
      const stats = newStats();
      const got: Peer[] = [];
      const plain: DatagramTransport = { onReceive: null, send() {}, close() {} };
      new TransportSeam(plain, stats, silentLogger).listen((_d, p) => got.push(p));
      plain.onReceive!(new Uint8Array(1), '10.0.0.1', 1);
      const secure = {
        onReceive: null as DatagramTransport['onReceive'],
        send() {},
        close() {},
        identityOf: (a: string) => (a === '10.0.0.2' ? 'node-7' : undefined),
      };
      new TransportSeam(secure, stats, silentLogger).listen((_d, p) => got.push(p));
      secure.onReceive!(new Uint8Array(1), '10.0.0.2', 2);
      secure.onReceive!(new Uint8Array(1), '10.0.0.3', 3);
      assert.deepEqual(got, [
        { address: '10.0.0.1', port: 1 },
        { address: '10.0.0.2', port: 2, identity: 'node-7' },
        { address: '10.0.0.3', port: 3 },
      ]);
    });

    it('counts a send that throws and logs it instead of passing it on', () => {
      const stats = newStats();
      const lines: string[] = [];
      const log = { ...silentLogger, warn: (m: string) => lines.push(m) };
      const broken: DatagramTransport = {
        onReceive: null,
        send() {
          throw new Error('no route');
        },
        close() {},
      };
      new TransportSeam(broken, stats, log).send(new Uint8Array(4), PEER);
      assert.equal(stats.sent, 1);
      assert.match(lines[0]!, /send to 10\.0\.0\.9:5683 failed: no route/);
    });
  });

  describe('Reliability (RFC 7252 §4.2, §4.3)', () => {
    it('retransmits a CON with doubling back-off and reports the time-out after MAX_RETRANSMIT', async () => {
      const { clock, wire, reliability } = stack();
      const owner = new Owner();
      reliability.sendCon(PEER, message({ messageId: 9 }), owner, null);
      await clock.advance(200_000);
      assert.equal(wire.sent.length, 5, 'first transmission + 4 retransmissions');
      const gaps = wire.times.slice(1).map((t, i) => t - wire.times[i]!);
      for (let i = 1; i < gaps.length; i++) assert.ok(Math.abs(gaps[i]! - 2 * gaps[i - 1]!) <= 1, `gaps ${gaps}`);
      assert.ok(gaps[0]! >= 2000 && gaps[0]! <= 3000, 'ACK_TIMEOUT × [1, 1.5]');
      assert.deepEqual(owner.events, ['timeout 9']);
    });

    it('hands an ACK, a piggybacked response or a RST to the owner of the CON it answers, once', async () => {
      const { clock, wire, reliability } = stack();
      const owner = new Owner();
      reliability.sendCon(PEER, message({ messageId: 20 }), owner, null);
      reliability.sendCon(PEER, message({ messageId: 21 }), owner, null);
      wire.deliver(message({ type: Type.ACK, code: Code.CONTENT, messageId: 20 }));
      wire.deliver(message({ type: Type.ACK, code: Code.CONTENT, messageId: 20 }));
      wire.deliver(message({ type: Type.RST, code: Code.EMPTY, messageId: 21 }));
      await clock.advance(200_000);
      assert.deepEqual(owner.events, ['ack 20 69', 'reset 21']);
      assert.equal(wire.sent.length, 2, 'no retransmission after the answer');
    });

    it('matches a RST to a recent NON by Message ID, remembering at most NON_MID_MEMORY of them', () => {
      const { wire, reliability } = stack();
      const requests = new Owner();
      const relations = new Owner();
      reliability.nonOwners = { request: requests, relation: relations };
      const aRequest = { kind: 'request' } as unknown as ClientExchange;
      const aRelation = {} as unknown as ObservedRelation;
      for (let mid = 100; mid < 100 + NON_MID_MEMORY + 1; mid++)
        reliability.sendNon(PEER, message({ type: Type.NON, messageId: mid }), mid % 2 ? aRequest : aRelation);
      wire.deliver(message({ type: Type.RST, code: Code.EMPTY, messageId: 100 }));
      wire.deliver(message({ type: Type.RST, code: Code.EMPTY, messageId: 100 + NON_MID_MEMORY }));
      wire.deliver(message({ type: Type.RST, code: Code.EMPTY, messageId: 101 }));
      assert.deepEqual(relations.events, ['reset non'], 'the oldest was forgotten; a RST to a notification goes to the observe layer');
      assert.deepEqual(requests.events, ['reset non'], 'a RST to a NON request goes to the request layer');
    });

    it('refuses a CON beyond maxPendingExchanges, and one to a peer that has half of them already', () => {
      const clock = new VirtualClock();
      const ctx = new StackContext({
        transport: new Wire(clock),
        timers: clock,
        random: new SeededRandom(1),
        log: silentLogger,
        maxPendingExchanges: 4,
      });
      const r = new Reliability(ctx);
      const owner = new Owner();
      const other: Peer = { address: '10.0.0.10', port: 5683 };
      const third: Peer = { address: '10.0.0.11', port: 5683 };
      const first = r.sendCon(PEER, message({ messageId: 1 }), owner, null);
      assert.ok(first);
      assert.ok(r.sendCon(PEER, message({ messageId: 2 }), owner, null));
      assert.equal(r.sendCon(PEER, message({ messageId: 3 }), owner, null), null, 'its share: 2 of 4');
      assert.equal(ctx.stats.overShare, 1);
      assert.ok(r.sendCon(other, message({ messageId: 4 }), owner, null));
      assert.ok(r.sendCon(other, message({ messageId: 5 }), owner, null));
      assert.equal(r.sendCon(third, message({ messageId: 6 }), owner, null), null, 'full');
      assert.equal(ctx.stats.exchangesFull, 2);
      assert.equal(ctx.stats.overShare, 1);
      r.drop(first);
      assert.equal(r.pending, 3);
      assert.ok(r.sendCon(PEER, message({ messageId: 7 }), owner, null), 'a settled CON gives its peer room again');
      assert.equal(r.sendCon(third, message({ messageId: 8 }), owner, null), null);
    });
  });

  describe('Matcher (RFC 7252 §4.4, §4.5, §5.3.2)', () => {
    it('passes a request up once and replays the answer recorded in its dedup entry to a duplicate', () => {
      const { wire, matcher } = stack();
      const up: number[] = [];
      matcher.serverSide = {
        receiveRequest: (msg, _p, entry) => {
          up.push(msg.messageId);
          entry.reply = new Uint8Array([0x60, 0x45, 0, msg.messageId]);
          entry.acked = true;
          entry.processing = false;
        },
      };
      matcher.clientSide = { receiveResponse: () => assert.fail('no response expected') };
      wire.deliver(message({ messageId: 5 }));
      wire.deliver(message({ messageId: 5 }));
      assert.deepEqual(up, [5]);
      assert.equal(wire.sent.length, 1, 'the recorded reply, replayed');
      assert.equal(wire.sent[0]!.messageId, 5);
    });

    it('matches a separate response by token, ACKs it, and RSTs a response whose token nobody holds', () => {
      const { wire, matcher } = stack();
      const got: string[] = [];
      matcher.serverSide = { receiveRequest: () => assert.fail() };
      matcher.clientSide = { receiveResponse: (owner, msg) => got.push(`${owner.kind} ${msg.code}`) };
      const token = matcher.newToken();
      const owner = { kind: 'observation', key: `${KEY}#x` } as unknown as TokenOwner;
      assert.ok(matcher.claim(`${KEY}#${toHex(token)}`, owner));
      wire.deliver(message({ type: Type.CON, code: Code.CONTENT, messageId: 30, token }));
      wire.deliver(message({ type: Type.CON, code: Code.CONTENT, messageId: 31, token: new Uint8Array([9, 9]) }));
      assert.deepEqual(got, ['observation 69']);
      assert.deepEqual(
        wire.sent.map((m) => [m.type, m.messageId]),
        [
          [Type.ACK, 30],
          [Type.RST, 31],
        ],
      );
    });

    it('keeps a token key for one owner until that owner releases it', () => {
      const { matcher } = stack();
      const a = { kind: 'observation' } as unknown as TokenOwner;
      const b = { kind: 'observation' } as unknown as TokenOwner;
      assert.ok(matcher.claim('k', a));
      assert.equal(matcher.claim('k', b), false);
      matcher.release('k', b);
      assert.equal(matcher.owner('k'), a, 'only the holder releases');
      matcher.release('k', a);
      assert.ok(matcher.claim('k', b));
    });

    it('answers a malformed CON with RST, drops malformed NON, and answers a ping with RST', () => {
      const { wire, ctx } = stack();
      wire.onReceive!(new Uint8Array([0x40, 0x01, 0x00, 0x07, 0xff]), PEER.address, PEER.port); // CON, payload marker without payload
      wire.onReceive!(new Uint8Array([0x50, 0x01, 0x00, 0x08, 0xff]), PEER.address, PEER.port); // the same as NON
      wire.deliver(message({ code: Code.EMPTY, messageId: 11 }));
      assert.deepEqual(
        wire.sent.map((m) => [m.type, m.messageId]),
        [
          [Type.RST, 7],
          [Type.RST, 11],
        ],
      );
      assert.equal(ctx.stats.formatErrors, 2);
    });
  });
});
