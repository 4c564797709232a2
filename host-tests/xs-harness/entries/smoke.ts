// Exercises the XS host port alone: UDP echo, timers, calls, events.
import { emitEvent, installXsHost, openXsUdp, registerCall, xsLogger, xsTimers } from '../port/host';
import { utf8Decode, utf8Encode } from '../../../firmware/util/utf8';

installXsHost();

const udp = openXsUdp({ address: '127.0.0.1' });
udp.onReceive = (data, address, port) => {
  // Echo with the bytes reversed, so the test sees XS did the work.
  const out = data.slice().reverse();
  udp.send(out, address, port);
};

registerCall('port', () => utf8Encode(String(udp.port)));

registerCall('timers', (payload) => {
  const delays = JSON.parse(utf8Decode(payload)) as number[];
  const start = xsTimers.now();
  const cancelled = xsTimers.setTimeout(() => emitEvent('fired', utf8Encode('cancelled')), 1);
  xsTimers.clearTimeout(cancelled);
  for (const d of delays) {
    xsTimers.setTimeout(() => emitEvent('fired', utf8Encode(JSON.stringify({ d, at: xsTimers.now() - start }))), d);
  }
  return new Uint8Array(0);
});

registerCall('async', async (payload) => {
  await Promise.resolve();
  return payload.slice().reverse();
});

registerCall('throws', () => {
  throw new RangeError('boom');
});

registerCall('log', () => {
  xsLogger.info('hello from XS');
  return new Uint8Array(0);
});

registerCall('features', () => {
  const g = globalThis as Record<string, unknown>;
  return utf8Encode(
    JSON.stringify({
      WebAssembly: typeof g.WebAssembly,
      TextEncoder: typeof g.TextEncoder,
      setTimeout: typeof g.setTimeout,
      Buffer: typeof g.Buffer,
      process: typeof g.process,
      BigInt: typeof BigInt,
    }),
  );
});
