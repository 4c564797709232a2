// XS entry for the TLV codec in XS: the wasm2js build of tlv.wasm replays the
// codec call scripts, and the formats layer runs over it (or over pure TS).
import * as tlvJs from 'xs:tlv-wasm2js';
import { installXsHost, jsonBytes as json, parseJsonBytes as parse, registerCall } from '../port/host';
import { createWasm2jsTlv } from '../port/tlv';
import { TlvTs } from '../../../firmware/codec/tlv-ts';
import { createFormats } from '../../../firmware/formats';
import { replay } from '../../codec/tlv-replay';
import { describeFormats, type FormatsCase } from '../../codec/tlv-cases';

installXsHost();

registerCall('replay', (p) => json(replay(tlvJs, parse<string[]>(p))));

registerCall('formats', (p) => {
  const { backend, cases } = parse<{ backend: 'wasm2js' | 'ts'; cases: FormatsCase[] }>(p);
  return json(describeFormats(cases, createFormats({ tlv: backend === 'wasm2js' ? createWasm2jsTlv(tlvJs) : new TlvTs() })));
});
