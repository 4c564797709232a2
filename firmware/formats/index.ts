// Public entry of the content formats: the registry (registry.ts) and what decoders and encoders share.
export * from './types';
export {
  ContentFormats,
  createFormats,
  formatEntry,
  formatByWord,
  typeResolver,
  resourceType,
  builtinResolver,
  FORMAT_ENTRIES,
  COMPOSITE_FORMATS,
  PREFERRED_FORMAT,
} from './registry';
export type { FormatEntry, FormatPorts, FormatShape } from './registry';
export type { CborCodec } from './cbor-codec';
export { encodeLinkFormat, parseLinkFormat } from './link-format';
export type { Link } from './link-format';
export { base64Encode, base64Decode } from './base64';
