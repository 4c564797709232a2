// Transmission parameters (RFC 7252 §4.8) and the times derived from them (§4.8.2).

export interface TransmissionParameters {
  /** ACK_TIMEOUT in ms (default 2000). */
  ackTimeout: number;
  /** ACK_RANDOM_FACTOR (default 1.5, must be >= 1). */
  ackRandomFactor: number;
  /** MAX_RETRANSMIT (default 4). */
  maxRetransmit: number;
  /** NSTART: outstanding interactions per peer (default 1). */
  nstart: number;
  /** DEFAULT_LEISURE in ms (default 5000), for multicast responses; kept for completeness. */
  defaultLeisure: number;
  /** PROBING_RATE in bytes/s (default 1). */
  probingRate: number;
  /** MAX_LATENCY in ms (default 100 s), used in the derived lifetimes. */
  maxLatency: number;
  /** PROCESSING_DELAY in ms (default ACK_TIMEOUT). */
  processingDelay?: number;
}

export const DEFAULT_PARAMS: TransmissionParameters = Object.freeze({
  ackTimeout: 2000,
  ackRandomFactor: 1.5,
  maxRetransmit: 4,
  nstart: 1,
  defaultLeisure: 5000,
  probingRate: 1,
  maxLatency: 100_000,
});

export function resolveParams(p?: Partial<TransmissionParameters>): TransmissionParameters {
  const r = { ...DEFAULT_PARAMS, ...(p ?? {}) };
  if (!(r.ackTimeout > 0) || !(r.ackRandomFactor >= 1) || !(r.maxRetransmit >= 0) || !(r.nstart >= 1)) {
    throw new RangeError('invalid CoAP transmission parameters');
  }
  return r;
}

/** MAX_TRANSMIT_SPAN = ACK_TIMEOUT * (2^MAX_RETRANSMIT - 1) * ACK_RANDOM_FACTOR (45 s). */
export function maxTransmitSpan(p: TransmissionParameters): number {
  return p.ackTimeout * (2 ** p.maxRetransmit - 1) * p.ackRandomFactor;
}

/** MAX_TRANSMIT_WAIT = ACK_TIMEOUT * (2^(MAX_RETRANSMIT + 1) - 1) * ACK_RANDOM_FACTOR (93 s). */
export function maxTransmitWait(p: TransmissionParameters): number {
  return p.ackTimeout * (2 ** (p.maxRetransmit + 1) - 1) * p.ackRandomFactor;
}

/** EXCHANGE_LIFETIME = MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY (247 s). */
export function exchangeLifetime(p: TransmissionParameters): number {
  return maxTransmitSpan(p) + 2 * p.maxLatency + (p.processingDelay ?? p.ackTimeout);
}

/** NON_LIFETIME = MAX_TRANSMIT_SPAN + MAX_LATENCY (145 s). */
export function nonLifetime(p: TransmissionParameters): number {
  return maxTransmitSpan(p) + p.maxLatency;
}
