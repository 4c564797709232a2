// Bodies that never sit whole in RAM (a firmware image): a Block1 request body
// handed up block by block (CoapEndpoint.streamsBody), and a download that
// asks for one Block2 block at a time (RequestOptions.block2).
import assert from 'node:assert/strict';
import { Code, OptionNumber } from '../../firmware/coap/message';
import { getBlock } from '../../firmware/coap/options';
import type { IncomingRequest } from '../../firmware/coap/endpoint';
import { CLIENT, SERVER, bytesOf, world } from './helpers';

describe('coap endpoint: streamed bodies', () => {
  it('a streamed Block1 body reaches the handler one block at a time, past maxReassemblySize, 2.31 between blocks', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port, { maxReassemblySize: 2048 });
    const client = w.endpoint(CLIENT.address, CLIENT.port, { blockSzx: 6 });
    server.streamsBody = (path, method) => method === Code.PUT && path.join('/') === '5/0/0';
    const blocks: Array<{ num: number; offset: number; more: boolean; length: number }> = [];
    const received: number[] = [];
    server.onRequest = (req: IncomingRequest) => {
      assert.ok(req.block1, 'each request is one block');
      blocks.push({ num: req.block1.num, offset: req.block1.offset, more: req.block1.more, length: req.payload.length });
      received.push(...req.payload);
      return { code: Code.CHANGED };
    };
    const image = bytesOf(10_000);
    const p = client.request(SERVER, { method: Code.PUT, path: ['5', '0', '0'], contentFormat: 42, payload: image });
    await w.clock.advance(10_000);
    const res = await p;
    assert.equal(res.code, Code.CHANGED);
    assert.equal(blocks.length, 10);
    assert.deepEqual(
      blocks.map((b) => b.offset),
      [0, 1024, 2048, 3072, 4096, 5120, 6144, 7168, 8192, 9216],
    );
    assert.deepEqual(
      blocks.map((b) => b.more),
      [true, true, true, true, true, true, true, true, true, false],
    );
    assert.equal(blocks[9]!.length, 10_000 - 9216);
    assert.deepEqual(received, [...image]);
    assert.equal(server.occupancy.block1.peak, 0, 'no reassembly session was opened');
    // The final answer echoes the last block's Block1 (RFC 7959 §2.3).
    assert.deepEqual(getBlock({ options: res.options } as never, OptionNumber.BLOCK1), { num: 9, more: false, szx: 6, size: 1024 });
  });

  it('an error answer to a streamed block ends the transfer with that code', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port);
    const client = w.endpoint(CLIENT.address, CLIENT.port, { blockSzx: 4 });
    server.streamsBody = () => true;
    let calls = 0;
    server.onRequest = (req) => (++calls === 3 ? { code: Code.REQUEST_ENTITY_TOO_LARGE } : { code: Code.CHANGED, payload: req.payload });
    const p = client.request(SERVER, { method: Code.PUT, path: ['5', '0', '0'], payload: bytesOf(2000) });
    await w.clock.advance(10_000);
    const res = await p;
    assert.equal(res.code, Code.REQUEST_ENTITY_TOO_LARGE);
    assert.equal(calls, 3);
  });

  it('a request for one Block2 block returns that block only, with its Block2 option, and fetches nothing more', async () => {
    const w = world();
    const server = w.endpoint(SERVER.address, SERVER.port);
    const client = w.endpoint(CLIENT.address, CLIENT.port, { maxReassemblySize: 1024 });
    const file = bytesOf(5000);
    server.onRequest = () => ({ code: Code.CONTENT, contentFormat: 42, payload: file });
    for (const [num, more, from, to] of [
      [2, true, 2048, 3072],
      [4, false, 4096, 5000],
      [0, true, 0, 1024],
    ] as const) {
      const p = client.request(SERVER, { method: Code.GET, path: ['fw'], block2: { num, szx: 6 } });
      await w.clock.advance(1_000);
      const res = await p;
      assert.equal(res.code, Code.CONTENT);
      assert.deepEqual([...res.payload], [...file.subarray(from, to)]);
      const b2 = getBlock({ options: res.options } as never, OptionNumber.BLOCK2);
      assert.deepEqual(b2 && [b2.num, b2.more], [num, more]);
    }
  });
});
