// XS entry: the built-in CBOR codec and SenML CBOR (the device's path: no cbor-x) inside the XS engine.
import { installXsHost, jsonBytes as json, parseJsonBytes as parse, registerCall } from '../port/host';
import { createFormats } from '../../../firmware/formats/index';
import { fromHex } from '../../../firmware/util/hex';
import { describeRaw, describeSenml, type SenmlCase } from '../../formats/cbor-describe';

installXsHost();

/** As on the device: no codec given, so the built-in CBOR. */
const formats = createFormats();

registerCall('raw', (p) => json(describeRaw(parse<string[]>(p))));
registerCall('senml', (p) => json({ codec: formats.cbor.name, results: describeSenml(parse<SenmlCase[]>(p), formats) }));
/** n decodes and n encodes of one payload (the bench times the call from Node). */
registerCall('loop', (p) => {
  const { payload, n, what } = parse<{ payload: string; n: number; what: 'decode' | 'encode' }>(p);
  const c = formats.cbor;
  const b = fromHex(payload);
  const v = c.decode(b);
  if (what === 'decode') for (let i = 0; i < n; i++) c.decode(b);
  else for (let i = 0; i < n; i++) c.encode(v);
  return json(n);
});
