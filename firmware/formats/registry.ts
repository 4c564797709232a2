// The content formats as one registry (Core §7.4; Transport §6.4.6 for the composite ones): each format is
// one entry, and everything that lists formats (what a request may carry, what a composite operation answers
// in, the `ct` of a Register, the names a console shows) reads it from here. A formats instance carries its
// codecs and its type resolver as ports (createFormats); nothing here knows CoAP: failures are FormatErrorKinds.
import type { DataType, ObjectDef, Path } from '../model/types';
import { getObjectDef } from '../model/objects';
import type { TlvBackend } from '../codec/backend';
import { TlvTs } from '../codec/tlv-ts';
import { builtinCborCodec, type CborCodec } from './cbor-codec';
import type { DecodedPayload, EncodeOptions, FormatCodecs, FormatResult, ResourceRecord, TypeResolver } from './types';
import { ContentFormat, fail } from './types';
import { decodeTlv, encodeTlv } from './tlv';
import { decodeText, decodeOpaque, encodeText, encodeOpaque } from './text';
import { decodeSenmlJson, encodeSenmlJson } from './senml-json';
import { decodeSenmlCbor, encodeSenmlCbor } from './senml-cbor';
import { decodeLwm2mJson, encodeLwm2mJson } from './lwm2m-json';
import { decodeCborPlain, encodeCborPlain } from './cbor-plain';
import { deepFreeze } from '../util/freeze';

/** What one payload of a format can carry: one resource value, one object's instances, or paths across objects. */
export type FormatShape = 'single-value' | 'object' | 'composite';

export interface FormatEntry {
  readonly id: number;
  /** LwM2M 1.0 ids of the same format (1542 TLV, 1543 JSON): decoded and answered in like `id`. */
  readonly aliases: readonly number[];
  /** As the specifications name it ('TLV', 'SenML CBOR'). */
  readonly name: string;
  /** One lower-case word for prompts and APIs ('tlv', 'senml-cbor'). */
  readonly word: string;
  readonly mediaType: string;
  readonly shape: FormatShape;
  decode(payload: Uint8Array, base: Path, resolve: TypeResolver, codecs: FormatCodecs): FormatResult<DecodedPayload>;
  encode(
    base: Path,
    records: ResourceRecord[],
    resolve: TypeResolver,
    codecs: FormatCodecs,
    opts?: EncodeOptions,
  ): FormatResult<Uint8Array>;
}

/** Every format the client reads and writes, in the order its Register lists them in `ct` (Core §6.2.1). */
export const FORMAT_ENTRIES: readonly FormatEntry[] = deepFreeze([
  {
    id: ContentFormat.TEXT,
    aliases: [],
    name: 'Plain Text',
    word: 'text',
    mediaType: 'text/plain;charset=utf-8',
    shape: 'single-value',
    decode: decodeText,
    encode: encodeText,
  },
  {
    id: ContentFormat.OPAQUE,
    aliases: [],
    name: 'Opaque',
    word: 'opaque',
    mediaType: 'application/octet-stream',
    shape: 'single-value',
    decode: decodeOpaque,
    encode: encodeOpaque,
  },
  {
    id: ContentFormat.CBOR,
    aliases: [],
    name: 'CBOR',
    word: 'cbor',
    mediaType: 'application/cbor',
    shape: 'single-value',
    decode: decodeCborPlain,
    encode: encodeCborPlain,
  },
  {
    id: ContentFormat.SENML_JSON,
    aliases: [],
    name: 'SenML JSON',
    word: 'senml-json',
    mediaType: 'application/senml+json',
    shape: 'composite',
    decode: decodeSenmlJson,
    encode: encodeSenmlJson,
  },
  {
    id: ContentFormat.SENML_CBOR,
    aliases: [],
    name: 'SenML CBOR',
    word: 'senml-cbor',
    mediaType: 'application/senml+cbor',
    shape: 'composite',
    decode: decodeSenmlCbor,
    encode: encodeSenmlCbor,
  },
  {
    id: ContentFormat.TLV,
    aliases: [ContentFormat.OLD_TLV],
    name: 'TLV',
    word: 'tlv',
    mediaType: 'application/vnd.oma.lwm2m+tlv',
    shape: 'object',
    decode: decodeTlv,
    encode: encodeTlv,
  },
  {
    id: ContentFormat.LWM2M_JSON,
    aliases: [ContentFormat.OLD_JSON],
    name: 'LwM2M JSON',
    word: 'json',
    mediaType: 'application/vnd.oma.lwm2m+json',
    shape: 'object',
    decode: decodeLwm2mJson,
    encode: encodeLwm2mJson,
  },
] as FormatEntry[]);

const BY_ID: ReadonlyMap<number, FormatEntry> = new Map(FORMAT_ENTRIES.flatMap((e) => [e.id, ...e.aliases].map((id) => [id, e] as const)));

/** The entry of a format id (a 1.0 alias gives its 1.1 entry); undefined for one this client does not know. */
export function formatEntry(id: number): FormatEntry | undefined {
  return BY_ID.get(id);
}

/** The entry a prompt or an API names by its word ('senml-cbor'). */
export function formatByWord(word: string): FormatEntry | undefined {
  return FORMAT_ENTRIES.find((e) => e.word === word);
}

/** Formats a Read-Composite, Observe-Composite, Write-Composite or Send carries (SenML only, Transport §6.4.6). */
export const COMPOSITE_FORMATS: ReadonlySet<number> = new Set(FORMAT_ENTRIES.filter((e) => e.shape === 'composite').map((e) => e.id));

/** The format an answer takes when the request had no Accept (Core §7.4): one value as text (opaque as
 *  octets), a tree as TLV, several objects as SenML CBOR. */
export const PREFERRED_FORMAT = Object.freeze({
  value: ContentFormat.TEXT as number,
  opaque: ContentFormat.OPAQUE as number,
  tree: ContentFormat.TLV as number,
  composite: ContentFormat.SENML_CBOR as number,
});

/** What a resolver answers for resource `resourceId` of `def`: the one way a resource's type is found. */
export function resourceType(
  def: ObjectDef | undefined,
  resourceId: number,
): { readonly type: DataType; readonly multiple: boolean } | undefined {
  // The definition itself has both fields: no object per lookup (an encode looks up every record).
  return def?.resources.get(resourceId);
}

/** A type resolver over a lookup of object definitions. */
export function typeResolver(defOf: (objectId: number) => ObjectDef | undefined): TypeResolver {
  return (objectId, resourceId) => resourceType(defOf(objectId), resourceId);
}

/** The resolver over the built-in definitions (objects 0-7), for a formats instance given none. */
export const builtinResolver: TypeResolver = typeResolver(getObjectDef);

export interface FormatPorts {
  /** TLV codec (default: the pure TypeScript one, created on first use). */
  tlv?: TlvBackend;
  /** CBOR codec (default: the built-in formats/cbor.ts). */
  cbor?: CborCodec;
  /** Type of a resource (default: the built-in object definitions). */
  resolve?: TypeResolver;
}

/** A formats instance: the registry over one set of codecs and one type resolver; it is its own
 *  FormatCodecs (no object beside it: on the device every slot counts). Never throws. */
export class ContentFormats implements FormatCodecs {
  private given: TlvBackend | undefined;

  constructor(
    tlv: TlvBackend | undefined,
    readonly cbor: CborCodec,
    readonly resolve: TypeResolver,
  ) {
    this.given = tlv;
  }

  /** The TLV backend given, else a pure TypeScript one made on first use. */
  get tlv(): TlvBackend {
    return (this.given ??= new TlvTs());
  }
  // Getters, not fields: the tables are shared (preloaded on the device).
  get entries(): readonly FormatEntry[] {
    return FORMAT_ENTRIES;
  }
  get composite(): ReadonlySet<number> {
    return COMPOSITE_FORMATS;
  }

  /** The same codecs typing resources with `resolve` (a client's own object definitions). */
  withResolver(resolve: TypeResolver): ContentFormats {
    return new ContentFormats(this.tlv, this.cbor, resolve);
  }

  entry(id: number): FormatEntry | undefined {
    return BY_ID.get(id);
  }

  /** Whether a request payload in `id` is one this client decodes. */
  isSupported(id: number): boolean {
    return BY_ID.has(id);
  }

  /** base = the request path (/o, /o/i, /o/i/r, /o/i/r/ri); records outside it are 'outside-base'. */
  decode(format: number, payload: Uint8Array, base: Path): FormatResult<DecodedPayload> {
    const e = BY_ID.get(format);
    if (!e) return fail('unsupported', `content format ${format} is not supported`);
    try {
      return e.decode(payload, base, this.resolve, this);
    } catch {
      return fail('malformed', 'payload does not decode'); // last line of defence; fuzzing keeps it unused
    }
  }

  /** Records (all at or below base) in `format`; 'not-acceptable' when the format cannot carry them. */
  encode(format: number, base: Path, records: ResourceRecord[], opts?: EncodeOptions): FormatResult<Uint8Array> {
    const e = BY_ID.get(format);
    if (!e) return fail('not-acceptable', `content format ${format} is not supported`);
    try {
      return e.encode(base, records, this.resolve, this, opts);
    } catch {
      return fail('internal', 'encode failed');
    }
  }
}

/** A formats instance over the given codecs and resolver; the defaults where one is not given. */
export function createFormats(ports: FormatPorts = {}): ContentFormats {
  return new ContentFormats(ports.tlv, ports.cbor ?? builtinCborCodec, ports.resolve ?? builtinResolver);
}
