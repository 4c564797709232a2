// Times the core's UTF-8 helpers inside XS (performance.now is an xsnap global).
import { installXsHost, jsonBytes as json, parseJsonBytes as parse, registerCall } from '../port/host';
import { utf8Decode, utf8Encode } from '../../../firmware/util/utf8';

installXsHost();
const perf = (globalThis as unknown as { performance: { now(): number } }).performance;

registerCall('utf8', (p) => {
  const sizes = parse<number[]>(p);
  return json(
    sizes.map((n) => {
      const s = 'a'.repeat(n - 1) + 'é';
      let t = perf.now();
      const b = utf8Encode(s);
      const enc = perf.now() - t;
      t = perf.now();
      utf8Decode(b);
      const dec = perf.now() - t;
      return { n, enc, dec };
    }),
  );
});
