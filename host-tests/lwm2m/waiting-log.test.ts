// What the client says while a server does not answer: each retransmission of
// the Bootstrap-Request and of the Register gets a line (a user watching the
// log must not see silence for a minute and a half).
import assert from 'node:assert/strict';
import type { Logger } from '../../firmware/platform/ports';
import { openRig } from '../support/rig';

function recording(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (m: string) => {
    lines.push(m);
  };
  return { lines, error: put, warn: put, info: put, debug: () => {} };
}

describe('the client says what it does while a server is silent', () => {
  it('Bootstrap-Request: one line per retransmission with the wait, then the abort and the next attempt', async () => {
    const log = recording();
    const rig = await openRig({ kind: 'memory', bootstrap: 'none', log });
    try {
      rig.client.start();
      await rig.advance(100_000);
      const again = log.lines.filter((l) => l.startsWith('client: no answer from the Bootstrap-Server yet; Bootstrap-Request sent again'));
      assert.deepEqual(
        again.slice(0, 4).map((l) => /\((\d) of 4\)/.exec(l)?.[1]),
        ['1', '2', '3', '4'],
      );
      const i = log.lines.findIndex((l) => l.includes('bootstrap aborted: Bootstrap-Request failed'));
      assert.ok(i > log.lines.indexOf(again[3]!), 'the abort comes after the last retransmission');
      assert.match(log.lines[i + 1] ?? '', /bootstrap \(Bootstrap-Request failed: .*\) in \d+\.\d s, attempt 2/);
    } finally {
      await rig.close();
    }
  });

  it('Register: one line per retransmission naming the server', async () => {
    const log = recording();
    const rig = await openRig({ kind: 'memory', bootstrap: 'factory', log });
    try {
      rig.net!.setLink({ loss: 1 }, rig.clientAddr, rig.serverAddr[0]);
      rig.client.start();
      await rig.advance(100_000);
      const again = log.lines.filter((l) => l.startsWith('registration: no answer from ssid=101 yet; Register sent again'));
      assert.deepEqual(
        again.slice(0, 4).map((l) => /\((\d) of 4\)/.exec(l)?.[1]),
        ['1', '2', '3', '4'],
      );
    } finally {
      await rig.close();
    }
  });
});
