// XS entry for the CoAP milestone: the CoAP codec and endpoint running inside
// the XS engine, driven from Node by host-tests/coap/coap-in-xs.test.ts.
// Server side: GET /hello, GET /big (Block2), PUT /echo (Block1, echoes the
// payload reversed), GET /obs with Observe (notified by the 'notify' call).
// Client side: the 'request' call starts a request to a Node peer; the
// outcome arrives later as a 'response' event (it takes more than one turn).
import {
  emitEvent,
  installXsHost,
  jsonBytes as json,
  openXsUdp,
  parseJsonBytes as parse,
  registerCall,
  xsLogger,
  xsRandom,
  xsTimers,
} from '../port/host';
import { CoapEndpoint } from '../../../firmware/coap/endpoint';
import type { ObserveRelation, ResponseSpec } from '../../../firmware/coap/api';
import { Code } from '../../../firmware/coap/message';
import { utf8Encode } from '../../../firmware/util/utf8';
import { fromHex, toHex } from '../../../firmware/util/hex';
import { bigBody, describeDecode, mutations } from '../../coap/vectors';

installXsHost();

registerCall('decode', (p) => json(parse<string[]>(p).map(describeDecode)));

registerCall('mutations', (p) => {
  const { seeds, count, seed } = parse<{ seeds: string[]; count: number; seed: number }>(p);
  return json(mutations(seeds, count, seed));
});

let ep: CoapEndpoint | null = null;
let relation: ObserveRelation | null = null;
let cancelReason = '';

function handle(req: {
  method: number;
  path: string[];
  payload: Uint8Array;
  observe?: number;
  acceptObserve(): ObserveRelation | null;
}): ResponseSpec {
  const path = req.path.join('/');
  if (req.method === Code.GET && path === 'hello') return { code: Code.CONTENT, contentFormat: 0, payload: utf8Encode('hello from XS') };
  if (req.method === Code.GET && path === 'big') return { code: Code.CONTENT, contentFormat: 42, payload: bigBody(4100) };
  if (req.method === Code.PUT && path === 'echo') return { code: Code.CHANGED, payload: req.payload.slice().reverse() };
  if (req.method === Code.GET && path === 'obs') {
    if (req.observe === 0) {
      relation = req.acceptObserve();
      if (relation)
        relation.onCancel = (reason) => {
          cancelReason = reason;
          relation = null;
        };
    }
    return { code: Code.CONTENT, contentFormat: 0, payload: utf8Encode('n=0') };
  }
  return { code: Code.NOT_FOUND };
}

registerCall('start', (p) => {
  const { blockSzx, maxQueuedRequests } = parse<{ blockSzx?: number; maxQueuedRequests?: number }>(p);
  const udp = openXsUdp({ address: '127.0.0.1' });
  ep = new CoapEndpoint({ transport: udp, timers: xsTimers, random: xsRandom, log: xsLogger, blockSzx, maxQueuedRequests });
  ep.onRequest = handle;
  return json({ port: udp.port });
});

let nextRequest = 1;
registerCall('request', (p) => {
  const r = parse<{ port: number; method: number; path: string[]; payload?: string; query?: string[] }>(p);
  const id = nextRequest++;
  ep!
    .request(
      { address: '127.0.0.1', port: r.port },
      { method: r.method, path: r.path, query: r.query, payload: r.payload ? fromHex(r.payload) : undefined },
    )
    .then(
      (res) => emitEvent('response', json({ id, code: res.code, payload: toHex(res.payload), contentFormat: res.contentFormat })),
      (e: Error) => emitEvent('response', json({ id, error: `${e.name}: ${e.message}` })),
    );
  return json({ id });
});

registerCall('notify', (p) => {
  const { n, confirmable } = parse<{ n: number; confirmable: boolean }>(p);
  if (!relation) return json({ active: false, cancelReason });
  relation.notify({ code: Code.CONTENT, contentFormat: 0, payload: utf8Encode(`n=${n}`) }, { confirmable }).then(
    () => emitEvent('notified', json({ n })),
    (e: Error) => emitEvent('notified', json({ n, error: e.message })),
  );
  return json({ active: true });
});

registerCall('stats', () => json({ stats: ep?.stats, observations: ep?.observationCount, cancelReason }));

registerCall('close', () => {
  ep?.close();
  ep = null;
  return json(null);
});
