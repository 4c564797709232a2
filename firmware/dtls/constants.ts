// Wire constants of DTLS 1.2 (RFC 6347), named as the RFCs name them.
// Plain numbers in frozen tables: the device preloads modules into flash.
import { deepFreeze } from '../util/freeze';

/** DTLS 1.2 on the wire is {254, 253}, the one's complement of 1.2 (RFC 6347 §4.1). */
export const DTLS_1_2 = 0xfefd;
/** DTLS 1.0; a ClientHello's record (and HelloVerifyRequest) may carry it (RFC 6347 §4.1, §4.2.1). */
export const DTLS_1_0 = 0xfeff;

/** ContentType (RFC 5246 §6.2.1; RFC 9146 §4 adds tls12_cid, the outer type of a record with a CID). */
export const ContentType = deepFreeze({
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
  tls12_cid: 25,
});

/** HandshakeType (RFC 5246 §7.4, RFC 6347 §4.2.2 adds hello_verify_request). */
export const HandshakeType = deepFreeze({
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  hello_verify_request: 3,
  server_key_exchange: 12,
  server_hello_done: 14,
  client_key_exchange: 16,
  finished: 20,
});

export const AlertLevel = deepFreeze({ warning: 1, fatal: 2 });

/** AlertDescription (RFC 5246 §7.2, RFC 4279 §2 adds unknown_psk_identity). */
export const AlertDescription = deepFreeze({
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  illegal_parameter: 47,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  no_renegotiation: 100,
  unsupported_extension: 110,
  unknown_psk_identity: 115,
});

/** Cipher suites this implementation speaks (RFC 6655 §4, RFC 5487 §3.1). */
export const CipherSuite = deepFreeze({
  TLS_PSK_WITH_AES_128_CCM_8: 0xc0a8,
  TLS_PSK_WITH_AES_128_CBC_SHA256: 0x00ae,
});

/** Signalling value meaning "renegotiation_info, empty" in a ClientHello (RFC 5746 §3.3). */
export const TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

/** ExtensionType values we act on; others are parsed and ignored (RFC 5246 §7.4.1.4). */
export const ExtensionType = deepFreeze({
  extended_master_secret: 0x0017, // RFC 7627; RFC 7925 §16 requires it
  renegotiation_info: 0xff01, // RFC 5746
  connection_id: 54, // RFC 9146 §3 (53 was the drafts' codepoint; not spoken)
});

/** A CID is opaque cid<0..2^8-1> (RFC 9146 §3). */
export const MAX_CID_LENGTH = 255;

/** DTLS record header: type(1) version(2) epoch(2) sequence_number(6) length(2) (RFC 6347 §4.1). */
export const RECORD_HEADER_LENGTH = 13;
/** DTLS handshake header: msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3) (RFC 6347 §4.2.2). */
export const HANDSHAKE_HEADER_LENGTH = 12;
/** Largest TLSPlaintext.length (RFC 5246 §6.2.1); more is record_overflow. */
export const MAX_PLAINTEXT_LENGTH = 16384;
/** Largest TLSCiphertext.length (RFC 5246 §6.2.3). */
export const MAX_CIPHERTEXT_LENGTH = 16384 + 2048;
/** Random and verify_data sizes (RFC 5246 §7.4.1.2, §7.4.9). */
export const RANDOM_LENGTH = 32;
export const VERIFY_DATA_LENGTH = 12;
export const MASTER_SECRET_LENGTH = 48;
/** A session_id is at most 32 bytes (RFC 5246 §7.4.1.2). */
export const MAX_SESSION_ID_LENGTH = 32;
/** Sequence numbers are 48-bit (RFC 6347 §4.1); 2^48 is still exact in a double. */
export const MAX_SEQUENCE_NUMBER = 2 ** 48 - 1;
