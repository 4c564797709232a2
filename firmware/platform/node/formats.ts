// The content formats as Node runs them: TLV on the wasm codec (build/out/tlv.wasm, npm run build),
// falling back to the TypeScript codec when it is not built, and CBOR through cbor-x.
import { createFormats, type ContentFormats, type TypeResolver } from '../../formats/index';
import type { TlvBackend } from '../../codec/backend';
import type { Logger } from '../ports';
import { loadTlvWasm } from './tlv-wasm';
import { createCborXCodec } from './cbor-x';

/** The wasm TLV backend, or undefined (with a warning) when build/out/tlv.wasm is missing. */
export function nodeTlv(log?: Pick<Logger, 'warn'>): TlvBackend | undefined {
  try {
    return loadTlvWasm();
  } catch (e) {
    log?.warn(`TLV: wasm codec not built (${(e as Error).message}); using the TypeScript codec`);
    return undefined;
  }
}

/** A formats instance on Node's codecs; `resolve` types resources (default: the built-in definitions). */
export function createNodeFormats(opts: { resolve?: TypeResolver; log?: Pick<Logger, 'warn'> } = {}): ContentFormats {
  return createFormats({ tlv: nodeTlv(opts.log), cbor: createCborXCodec(), resolve: opts.resolve });
}
