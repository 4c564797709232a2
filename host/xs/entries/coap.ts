// XS entry for the CoAP milestone: the CoAP codec (and, once it exists, the
// endpoint) running inside the XS engine, driven from Node by
// host-tests/xs/coap-in-xs.test.ts.
import { installXsHost, jsonBytes as json, parseJsonBytes as parse, registerCall } from '../../../firmware/platform/xs-host/host';
import { describeDecode, mutations } from './coap-vectors';

installXsHost();

registerCall('decode', (p) => json(parse<string[]>(p).map(describeDecode)));

registerCall('mutations', (p) => {
  const { seeds, count, seed } = parse<{ seeds: string[]; count: number; seed: number }>(p);
  return json(mutations(seeds, count, seed));
});
