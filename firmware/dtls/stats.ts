// Counters of one DtlsTransport. Every dropped datagram or record, every
// bound that was hit, is counted here, never thrown (RFC 6347 §4.1.2.7).

export interface DtlsStats {
  datagramsIn: number;
  datagramsOut: number;
  recordsIn: number;
  recordsOut: number;
  /** Records rejected by framing: truncated, unknown content type, record_overflow. */
  badRecords: number;
  /** Records with another protocol version than DTLS 1.2 (1.0 allowed at epoch 0). */
  badVersion: number;
  /** Records of an epoch we have no keys for (or no longer accept). */
  badEpoch: number;
  /** Records the replay window refused (RFC 6347 §4.1.2.6). */
  replayed: number;
  /** Records that did not authenticate (bad MAC / AEAD tag). */
  authFailures: number;
  /** Records for a peer with no session that could not start one. */
  noSession: number;
  /** Handshake fragments not reassembled (too long, too far ahead, inconsistent). */
  reassemblyDrops: number;
  /** Records or messages of the wrong kind for the moment (after decoding). */
  unexpected: number;
  /** Sessions or handshakes refused because their table was full. */
  tableFull: number;
  /** Application datagrams dropped: queue full before the handshake, handshake failed, no session to send on. */
  sendDrops: number;
  helloVerifyRequests: number;
  badCookies: number;
  handshakesStarted: number;
  handshakesCompleted: number;
  handshakesResumed: number;
  handshakesFailed: number;
  /** Server role: pending handshakes given up for a newer one (their address at its share, or every slot taken). */
  handshakesEvicted: number;
  /** Client role: sessions established from what a deep sleep kept (no handshake; KeptDtls). */
  sessionsKept: number;
  /** Flights sent again: on the timer (RFC 6347 §4.2.4) or on a retransmitted peer flight. */
  retransmissions: number;
  /** Repeated peer flights not answered with ours: too soon after our last sending, or our flight over 3× their datagram. */
  resendsWithheld: number;
  alertsSent: number;
  alertsReceived: number;
  /** Authenticated tls12_cid records received, and tls12_cid records sent (RFC 9146). */
  cidRecordsIn: number;
  cidRecordsOut: number;
  /** tls12_cid records naming no CID of ours (dropped silently). */
  unknownCid: number;
  /** Sessions that followed their peer to a new address (RFC 9146 §6). */
  peerAddressChanges: number;
  /** Moves not made because another session held the new address (it is never dropped for one). */
  cidMovesRefused: number;
  /** connection_id offers declined (server) or refused (client) because the CID would not fit our MTU. */
  cidTooLong: number;
  /** Datagrams not sent to a peer's new address because its budget was spent (RFC 9146 §6 anti-amplification). */
  amplificationDrops: number;
  /** Exceptions caught at the transport boundary: a bug, never a peer's doing. Tests assert 0. */
  internalErrors: number;
}

export function newStats(): DtlsStats {
  return {
    datagramsIn: 0,
    datagramsOut: 0,
    recordsIn: 0,
    recordsOut: 0,
    badRecords: 0,
    badVersion: 0,
    badEpoch: 0,
    replayed: 0,
    authFailures: 0,
    noSession: 0,
    reassemblyDrops: 0,
    unexpected: 0,
    tableFull: 0,
    sendDrops: 0,
    helloVerifyRequests: 0,
    badCookies: 0,
    handshakesStarted: 0,
    handshakesCompleted: 0,
    handshakesResumed: 0,
    handshakesFailed: 0,
    handshakesEvicted: 0,
    sessionsKept: 0,
    retransmissions: 0,
    resendsWithheld: 0,
    alertsSent: 0,
    alertsReceived: 0,
    cidRecordsIn: 0,
    cidRecordsOut: 0,
    unknownCid: 0,
    peerAddressChanges: 0,
    cidMovesRefused: 0,
    cidTooLong: 0,
    amplificationDrops: 0,
    internalErrors: 0,
  };
}
