import assert from 'node:assert/strict';
import { CoapError, type CoapResponse, type IncomingRequest } from '../../firmware/coap/endpoint';
import { Code, OptionNumber, Type, decodeMessage, type CoapMessage } from '../../firmware/coap/message';
import { decodeUint, encodeBlock, findOption, getBlock, stringOption, uintOption } from '../../firmware/coap/options';
import { CLIENT, SERVER, bytesOf, message, world } from './helpers';

const block1 = (num: number, more: boolean, szx: number) => ({ number: OptionNumber.BLOCK1, value: encodeBlock(num, more, szx) });
const block2 = (num: number, more: boolean, szx: number) => ({ number: OptionNumber.BLOCK2, value: encodeBlock(num, more, szx) });

function traced(w: ReturnType<typeof world>): CoapMessage[] {
  return w.net.trace.map((d) => {
    const m = decodeMessage(d.data);
    if (!m.ok) throw new Error(m.error);
    return m.message;
  });
}

describe('coap endpoint: block-wise transfers (RFC 7959)', () => {
  describe('Block1 on requests we receive', () => {
    it('reassembles in-order blocks, answers 2.31 Continue for intermediate ones and echoes Block1 on the final response', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port);
      const client = w.raw(CLIENT.address, CLIENT.port);
      let got: IncomingRequest | undefined;
      server.onRequest = (req) => {
        got = req;
        return { code: Code.CHANGED };
      };
      const body = bytesOf(40);
      const path = stringOption(OptionNumber.URI_PATH, 'fw');
      client.send(
        SERVER,
        message({
          code: Code.PUT,
          messageId: 1,
          token: new Uint8Array([1]),
          options: [path, block1(0, true, 0)],
          payload: body.subarray(0, 16),
        }),
      );
      client.send(
        SERVER,
        message({
          code: Code.PUT,
          messageId: 2,
          token: new Uint8Array([2]),
          options: [path, block1(1, true, 0)],
          payload: body.subarray(16, 32),
        }),
      );
      client.send(
        SERVER,
        message({
          code: Code.PUT,
          messageId: 3,
          token: new Uint8Array([3]),
          options: [path, block1(2, false, 0)],
          payload: body.subarray(32),
        }),
      );
      await w.clock.advance(100);
      const res = client.take();
      assert.deepEqual(
        res.map((m) => m.code),
        [Code.CONTINUE, Code.CONTINUE, Code.CHANGED],
      );
      assert.deepEqual(
        res.map((m) => getBlock(m, 27)),
        [
          { num: 0, more: true, szx: 0, size: 16 },
          { num: 1, more: true, szx: 0, size: 16 },
          { num: 2, more: false, szx: 0, size: 16 },
        ],
      );
      assert.deepEqual(Array.from(got!.payload), Array.from(body));
      assert.deepEqual(got!.path, ['fw']);
      assert.equal(server.stats.handlerRuns, 1);
    });

    it('answers 4.13 with Size1 when Size1 or the data exceed maxReassemblySize', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port, { maxReassemblySize: 32 });
      const client = w.raw(CLIENT.address, CLIENT.port);
      server.onRequest = () => ({ code: Code.CHANGED });
      client.send(
        SERVER,
        message({
          code: Code.PUT,
          messageId: 1,
          options: [block1(0, true, 0), uintOption(OptionNumber.SIZE1, 1000)],
          payload: bytesOf(16),
        }),
      );
      await w.clock.advance(20);
      client.send(SERVER, message({ code: Code.PUT, messageId: 2, options: [block1(0, true, 0)], payload: bytesOf(16) }));
      client.send(SERVER, message({ code: Code.PUT, messageId: 3, options: [block1(1, true, 0)], payload: bytesOf(16) }));
      client.send(SERVER, message({ code: Code.PUT, messageId: 4, options: [block1(2, false, 0)], payload: bytesOf(5) }));
      await w.clock.advance(20);
      const res = client.take();
      assert.deepEqual(
        res.map((m) => m.code),
        [Code.REQUEST_ENTITY_TOO_LARGE, Code.CONTINUE, Code.CONTINUE, Code.REQUEST_ENTITY_TOO_LARGE],
      );
      assert.equal(decodeUint(findOption(res[0], OptionNumber.SIZE1)!.value), 32);
      assert.equal(decodeUint(findOption(res[3], OptionNumber.SIZE1)!.value), 32);
      assert.equal(server.stats.handlerRuns, 0);
    });

    it('answers 4.08 Request Entity Incomplete on a gap or a block without a start', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port);
      const client = w.raw(CLIENT.address, CLIENT.port);
      server.onRequest = () => ({ code: Code.CHANGED });
      client.send(SERVER, message({ code: Code.POST, messageId: 1, options: [block1(0, true, 1)], payload: bytesOf(32) }));
      await w.clock.advance(20);
      client.send(SERVER, message({ code: Code.POST, messageId: 2, options: [block1(2, true, 1)], payload: bytesOf(32) }));
      await w.clock.advance(20);
      client.send(SERVER, message({ code: Code.POST, messageId: 3, options: [block1(5, false, 1)], payload: bytesOf(3) }));
      await w.clock.advance(20);
      assert.deepEqual(
        client.take().map((m) => m.code),
        [Code.CONTINUE, Code.REQUEST_ENTITY_INCOMPLETE, Code.REQUEST_ENTITY_INCOMPLETE],
      );
    });

    it('negotiates a smaller SZX: answers block 0 of 1024 bytes with our 64-byte size and accepts NUM 16 next', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port, { blockSzx: 2 });
      const client = w.raw(CLIENT.address, CLIENT.port);
      let got: Uint8Array | undefined;
      server.onRequest = (req) => {
        got = req.payload;
        return { code: Code.CHANGED };
      };
      const body = bytesOf(1024 + 64 + 10);
      client.send(SERVER, message({ code: Code.PUT, messageId: 1, options: [block1(0, true, 6)], payload: body.subarray(0, 1024) }));
      await w.clock.advance(20);
      const [r0] = client.take();
      assert.equal(r0.code, Code.CONTINUE);
      assert.deepEqual(getBlock(r0, 27), { num: 0, more: true, szx: 2, size: 64 });
      client.send(SERVER, message({ code: Code.PUT, messageId: 2, options: [block1(16, true, 2)], payload: body.subarray(1024, 1088) }));
      client.send(SERVER, message({ code: Code.PUT, messageId: 3, options: [block1(17, false, 2)], payload: body.subarray(1088) }));
      await w.clock.advance(20);
      assert.deepEqual(
        client.take().map((m) => m.code),
        [Code.CONTINUE, Code.CHANGED],
      );
      assert.deepEqual(Array.from(got!), Array.from(body));
    });

    it('answers 4.00 to a malformed Block option and 5.03 when Block1 sessions are exhausted', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port, { maxBlockSessions: 2 });
      const client = w.raw(CLIENT.address, CLIENT.port);
      const other = w.raw('10.0.0.3', 40000);
      const third = w.raw('10.0.0.4', 40000);
      server.onRequest = () => ({ code: Code.CHANGED });
      client.send(
        SERVER,
        message({ code: Code.PUT, messageId: 1, options: [{ number: 27, value: new Uint8Array([0x0f]) }], payload: bytesOf(16) }),
      );
      client.send(
        SERVER,
        message({ code: Code.PUT, messageId: 2, options: [stringOption(11, 'a'), block1(0, true, 0)], payload: bytesOf(16) }),
      );
      other.send(
        SERVER,
        message({ code: Code.PUT, messageId: 2, options: [stringOption(11, 'a'), block1(0, true, 0)], payload: bytesOf(16) }),
      );
      await w.clock.advance(20);
      third.send(
        SERVER,
        message({ code: Code.PUT, messageId: 3, options: [stringOption(11, 'b'), block1(0, true, 0)], payload: bytesOf(16) }),
      );
      await w.clock.advance(20);
      assert.deepEqual(
        client.take().map((m) => m.code),
        [Code.BAD_REQUEST, Code.CONTINUE],
      );
      assert.deepEqual(
        other.take().map((m) => m.code),
        [Code.CONTINUE],
      );
      assert.deepEqual(
        third.take().map((m) => m.code),
        [Code.SERVICE_UNAVAILABLE],
      );
      assert.equal(server.stats.blockSessionsFull, 1);
      await w.clock.advance(60_000); // the idle sessions time out and free their slots
      third.send(
        SERVER,
        message({ code: Code.PUT, messageId: 4, options: [stringOption(11, 'b'), block1(0, true, 0)], payload: bytesOf(16) }),
      );
      await w.clock.advance(20);
      assert.deepEqual(
        third.take().map((m) => m.code),
        [Code.CONTINUE],
      );
    });
  });

  describe('Block1 on requests we send', () => {
    it('splits a large payload into blocks with Size1 and adopts the smaller SZX the server asks for', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port, { blockSzx: 4 });
      const client = w.endpoint(CLIENT.address, CLIENT.port, { blockSzx: 6 });
      let got: Uint8Array | undefined;
      server.onRequest = (req) => {
        got = req.payload;
        return { code: Code.CHANGED };
      };
      const body = bytesOf(3000, 3);
      let res: CoapResponse | undefined;
      client.request(SERVER, { method: Code.POST, path: ['up'], payload: body }).then((r) => {
        res = r;
      });
      await w.clock.runUntil(() => res !== undefined, 10_000);
      assert.equal(res!.code, Code.CHANGED);
      assert.deepEqual(Array.from(got!), Array.from(body));
      const reqs = traced(w).filter((m) => m.type === Type.CON);
      const blocks = reqs.map((m) => getBlock(m, 27)!);
      assert.deepEqual(blocks[0], { num: 0, more: true, szx: 6, size: 1024 });
      assert.equal(decodeUint(findOption(reqs[0], OptionNumber.SIZE1)!.value), 3000);
      assert.deepEqual(blocks[1], { num: 4, more: true, szx: 4, size: 256 }); // 1024 / 256
      assert.equal(blocks.length, 1 + Math.ceil((3000 - 1024) / 256));
      assert.equal(blocks[blocks.length - 1].more, false);
    });

    it('returns the error response when the server refuses the transfer', async () => {
      const w = world();
      w.endpoint(SERVER.address, SERVER.port, { maxReassemblySize: 100 }).onRequest = () => ({ code: Code.CHANGED });
      const client = w.endpoint(CLIENT.address, CLIENT.port, { blockSzx: 2 });
      let res: CoapResponse | undefined;
      client.request(SERVER, { method: Code.PUT, payload: bytesOf(500) }).then((r) => {
        res = r;
      });
      await w.clock.runUntil(() => res !== undefined, 10_000);
      assert.equal(res!.code, Code.REQUEST_ENTITY_TOO_LARGE);
    });
  });

  describe('Block2', () => {
    it('sends a large response in blocks with Size2 and the client fetches them transparently', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port, { blockSzx: 5 });
      const client = w.endpoint(CLIENT.address, CLIENT.port);
      const body = bytesOf(5000, 9);
      let runs = 0;
      server.onRequest = () => {
        runs++;
        return { code: Code.CONTENT, contentFormat: 42, payload: body };
      };
      let res: CoapResponse | undefined;
      client.request(SERVER, { method: Code.GET, path: ['big'] }).then((r) => {
        res = r;
      });
      await w.clock.runUntil(() => res !== undefined, 10_000);
      assert.deepEqual(Array.from(res!.payload), Array.from(body));
      assert.equal(res!.contentFormat, 42);
      assert.equal(runs, 1, 'follow-up blocks come from the kept body, not the handler');
      const acks = traced(w).filter((m) => m.type === Type.ACK);
      assert.equal(acks.length, Math.ceil(5000 / 512));
      assert.equal(decodeUint(findOption(acks[0], OptionNumber.SIZE2)!.value), 5000);
      assert.equal(getBlock(acks[acks.length - 1], 23)!.more, false);
    });

    it('honours a smaller SZX asked for by the client (early negotiation and on follow-ups)', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port);
      const raw = w.raw(CLIENT.address, CLIENT.port);
      const body = bytesOf(100);
      server.onRequest = () => ({ code: Code.CONTENT, payload: body });
      raw.send(SERVER, message({ messageId: 1, token: new Uint8Array([1]), options: [block2(0, false, 1)] }));
      await w.clock.advance(20);
      const [r0] = raw.take();
      assert.deepEqual(getBlock(r0, 23), { num: 0, more: true, szx: 1, size: 32 });
      assert.deepEqual(Array.from(r0.payload), Array.from(body.subarray(0, 32)));
      raw.send(SERVER, message({ messageId: 2, token: new Uint8Array([2]), options: [block2(3, false, 1)] }));
      raw.send(SERVER, message({ messageId: 3, token: new Uint8Array([3]), options: [block2(4, false, 1)] }));
      await w.clock.advance(20);
      const [r3, r4] = raw.take();
      assert.deepEqual(getBlock(r3, 23), { num: 3, more: false, szx: 1, size: 32 });
      assert.deepEqual(Array.from(r3.payload), Array.from(body.subarray(96)));
      assert.equal(r4.code, Code.BAD_OPTION, 'a block beyond the body');

      // our client with a smaller block size than the server's asks for smaller blocks on follow-ups
      const w2 = world(5);
      const s2 = w2.endpoint(SERVER.address, SERVER.port);
      s2.onRequest = () => ({ code: Code.CONTENT, payload: bytesOf(3000) });
      const c2 = w2.endpoint(CLIENT.address, CLIENT.port, { blockSzx: 3 });
      let res: CoapResponse | undefined;
      c2.request(SERVER, { method: Code.GET }).then((r) => {
        res = r;
      });
      await w2.clock.runUntil(() => res !== undefined, 10_000);
      assert.deepEqual(Array.from(res!.payload), Array.from(bytesOf(3000)));
      const reqBlocks = traced(w2)
        .filter((m) => m.type === Type.CON)
        .map((m) => getBlock(m, 23));
      assert.equal(reqBlocks[0], undefined);
      assert.deepEqual(reqBlocks[1], { num: 8, more: false, szx: 3, size: 128 });
      assert.equal(reqBlocks.length, 1 + Math.ceil((3000 - 1024) / 128));
    });

    it('re-runs the handler for a follow-up block when the kept body has expired', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port, { blockSzx: 0, blockSessionTimeout: 1000 });
      const raw = w.raw(CLIENT.address, CLIENT.port);
      let runs = 0;
      server.onRequest = () => {
        runs++;
        return { code: Code.CONTENT, payload: bytesOf(40) };
      };
      raw.send(SERVER, message({ messageId: 1 }));
      await w.clock.advance(2000);
      raw.send(SERVER, message({ messageId: 2, options: [block2(1, false, 0)] }));
      await w.clock.advance(20);
      const [, r1] = raw.take();
      assert.equal(runs, 2);
      assert.deepEqual(Array.from(r1.payload), Array.from(bytesOf(40).subarray(16, 32)));
    });

    it('fails a transfer whose body exceeds maxReassemblySize', async () => {
      const w = world();
      w.endpoint(SERVER.address, SERVER.port, { blockSzx: 2 }).onRequest = () => ({ code: Code.CONTENT, payload: bytesOf(1000) });
      const client = w.endpoint(CLIENT.address, CLIENT.port, { maxReassemblySize: 300 });
      let err: unknown;
      client.request(SERVER, { method: Code.GET }).catch((e) => {
        err = e;
      });
      await w.clock.runUntil(() => err !== undefined, 10_000);
      assert.ok(err instanceof CoapError);
    });

    it('combines Block1 upload and Block2 download in one request', async () => {
      const w = world();
      const server = w.endpoint(SERVER.address, SERVER.port, { blockSzx: 2 });
      const client = w.endpoint(CLIENT.address, CLIENT.port, { blockSzx: 2 });
      server.onRequest = (req) => ({ code: Code.CHANGED, payload: req.payload.slice().reverse() });
      const body = bytesOf(700, 1);
      let res: CoapResponse | undefined;
      client.request(SERVER, { method: Code.POST, payload: body }).then((r) => {
        res = r;
      });
      await w.clock.runUntil(() => res !== undefined, 10_000);
      assert.deepEqual(Array.from(res!.payload), Array.from(body.slice().reverse()));
    });
  });
});
