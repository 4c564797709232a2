// Typed request failures surfaced to callers as rejected promises.

/** Any CoAP-layer failure that is not a timeout or a reset (queue full, closed endpoint, bad block transfer). */
export class CoapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoapError';
  }
}

/** No ACK after MAX_RETRANSMIT retransmissions, or no response within the response timeout. */
export class CoapTimeoutError extends CoapError {
  constructor(message: string) {
    super(message);
    this.name = 'CoapTimeoutError';
  }
}

/** The peer answered our message with a Reset (RST). */
export class CoapResetError extends CoapError {
  constructor(message: string) {
    super(message);
    this.name = 'CoapResetError';
  }
}

/** A bounded table of ours is full (the request queue, CONs awaiting their ACK): nothing was sent. */
export class CoapCapacityError extends CoapError {
  constructor(message: string) {
    super(message);
    this.name = 'CoapCapacityError';
  }
}
