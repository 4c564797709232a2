// TLV codec constants shared by the backends and formats/tlv.ts.
// Mirrored in assembly/tlv.ts and assembly/bounds.ts (host-tests/codec/tlv.test.ts checks they agree).

/** TLV identifier kinds = bits 7-6 of the type byte (Core §7.4.3.1). */
export const KIND_OBJECT_INSTANCE = 0;
export const KIND_RESOURCE_INSTANCE = 1;
export const KIND_MULTIPLE_RESOURCE = 2;
export const KIND_RESOURCE = 3;

/** Value type codes written into E_TYPE / C_TYPE. */
export const T_RAW = 0; // unknown definition: keep bytes
export const T_STRING = 1;
export const T_INTEGER = 2;
export const T_UNSIGNED = 3;
export const T_FLOAT = 4;
export const T_BOOLEAN = 5;
export const T_OPAQUE = 6;
export const T_TIME = 7;
export const T_OBJLNK = 8;
export const T_CORELNK = 9;
export const T_NONE = 10;

/** Entry / command record: ENTRY_WORDS int32 words. Words 6-7 hold an int64 (lo, hi) or a float64. */
export const ENTRY_WORDS = 8;
export const E_KIND = 0,
  E_ID = 1,
  E_PARENT = 2,
  E_OFFSET = 3,
  E_LENGTH = 4,
  E_TYPE = 5,
  E_LO = 6,
  E_HI = 7;
/** Encode commands reuse the layout: C_OP = BEGIN | END | LEAF. */
export const C_OP = 0,
  C_KIND = 1,
  C_ID = 2,
  C_TYPE = 3,
  C_DATA = 4,
  C_LENGTH = 5,
  C_LO = 6,
  C_HI = 7;
export const OP_BEGIN = 1,
  OP_END = 2,
  OP_LEAF = 3;

/** Negative results. */
export const TLV_TRUNCATED = -1; // header or value runs past the end of the payload
export const TLV_OVERLONG = -2; // a child's length runs past its parent
export const TLV_NESTING = -3; // kind not allowed here (e.g. object instance inside a resource)
export const TLV_WIDTH = -4; // wrong value width for the type (3-byte integer, 2-byte boolean…)
export const TLV_BOOLEAN = -5; // boolean byte other than 0/1
export const TLV_TOO_MANY = -6; // more entries/commands than the table holds
export const TLV_TOO_LARGE = -7; // payload / output / data bigger than the buffers
export const TLV_BAD_COMMAND = -8; // malformed encode command list
export const TLV_LENGTH = -9; // value longer than a 24-bit length field

export function tlvErrorText(code: number): string {
  switch (code) {
    case TLV_TRUNCATED:
      return 'TLV truncated';
    case TLV_OVERLONG:
      return 'TLV length exceeds its parent';
    case TLV_NESTING:
      return 'TLV nesting not allowed';
    case TLV_WIDTH:
      return 'TLV value width invalid for the resource type';
    case TLV_BOOLEAN:
      return 'TLV boolean not 0 or 1';
    case TLV_TOO_MANY:
      return 'TLV has too many entries';
    case TLV_TOO_LARGE:
      return 'TLV too large';
    case TLV_BAD_COMMAND:
      return 'TLV encode command list malformed';
    case TLV_LENGTH:
      return 'TLV value too long';
  }
  return 'TLV error';
}
