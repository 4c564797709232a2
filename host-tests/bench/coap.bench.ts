// CoAP stack figures: codec encode/decode rate and endpoint request rate
// (CPU cost per exchange, virtual time, lossless in-memory network).
import { CoapEndpoint } from '../../firmware/coap/endpoint';
import { Code, OptionNumber, decodeMessage, encodeMessage, type CoapMessage } from '../../firmware/coap/message';
import { stringOption, uintOption } from '../../firmware/coap/options';
import { silentLogger } from '../../firmware/platform/ports';
import { MemoryNetwork } from '../support/memory-network';
import { SeededRandom } from '../support/seeded-random';
import { VirtualClock } from '../support/virtual-clock';

function rate(label: string, n: number, f: () => void): void {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  const ms = performance.now() - t0;
  console.log(
    `${label.padEnd(44)} ${Math.round(n / (ms / 1000))
      .toLocaleString('en')
      .padStart(12)} /s`,
  );
}

const reg: CoapMessage = {
  type: 0,
  code: Code.POST,
  messageId: 0x1234,
  token: new Uint8Array([1, 2, 3, 4]),
  options: [
    stringOption(OptionNumber.URI_PATH, 'rd'),
    uintOption(OptionNumber.CONTENT_FORMAT, 40),
    stringOption(OptionNumber.URI_QUERY, 'ep=node-0001'),
    stringOption(OptionNumber.URI_QUERY, 'lt=300'),
    stringOption(OptionNumber.URI_QUERY, 'lwm2m=1.1'),
    stringOption(OptionNumber.URI_QUERY, 'b=U'),
  ],
  payload: new TextEncoder().encode('</1/0>,</3/0>,</3303/0>,</3303/1>'),
};
const bytes = encodeMessage(reg);
rate(`encode Register request (${bytes.length} B)`, 200_000, () => encodeMessage(reg));
rate(`decode Register request (${bytes.length} B)`, 200_000, () => decodeMessage(bytes));

async function exchanges(n: number, payload: number): Promise<void> {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, random: new SeededRandom(1), delay: [1, 1] });
  const mk = (a: string, p: number) =>
    new CoapEndpoint({ transport: net.bind(a, p), timers: clock, random: new SeededRandom(p), log: silentLogger, maxQueuedRequests: n });
  const server = mk('10.0.0.1', 5683);
  const client = mk('10.0.0.2', 5000);
  const body = new Uint8Array(payload);
  server.onRequest = () => ({ code: Code.CONTENT, payload: body });
  let done = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    client.request({ address: '10.0.0.1', port: 5683 }, { method: Code.GET, path: ['3', '0'] }).then(() => {
      done++;
    });
  // Requests are serialised by NSTART 1; each costs a few virtual-clock steps (one setImmediate each).
  await clock.runUntil(() => done >= n, 100_000_000);
  const ms = performance.now() - t0;
  console.log(
    `${`CON GET round trips, ${payload} B response`.padEnd(44)} ${Math.round(n / (ms / 1000))
      .toLocaleString('en')
      .padStart(12)} /s  (${server.stats.sent + client.stats.sent} datagrams)`,
  );
}
await exchanges(2000, 16);
await exchanges(200, 4096);
