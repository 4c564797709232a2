// The Node UDP port: what the core sends just before close() still leaves
// (a De-register, a close_notify), and nothing is delivered after close().
import assert from 'node:assert/strict';
import { openUdp } from '../../firmware/platform/node';

describe('Node UDP port', () => {
  it('datagrams sent right before close() are not lost', async () => {
    const a = await openUdp({ address: '127.0.0.1' });
    const b = await openUdp({ address: '127.0.0.1' });
    const got: number[] = [];
    b.onReceive = (d) => got.push(d[0]!);
    for (let i = 0; i < 5; i++) a.send(Uint8Array.of(i), '127.0.0.1', b.port);
    a.close();
    a.send(Uint8Array.of(99), '127.0.0.1', b.port); // after close: dropped
    for (let t = 0; t < 100 && got.length < 5; t++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    b.close();
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
  });
});
