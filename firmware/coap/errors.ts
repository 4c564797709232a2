// Typed request failures surfaced to callers as rejected promises.
//
// `name` is a class field: a field is defined on the instance, whereas
// setting it in the constructor would write over Error.prototype.name, which
// the device's preload has frozen (strict code then throws "set name: not
// writable", and the failed request never settles).

/** Any CoAP-layer failure that is not a timeout or a reset (queue full, closed endpoint, bad block transfer). */
export class CoapError extends Error {
  override readonly name: string = 'CoapError';
}

/** No ACK after MAX_RETRANSMIT retransmissions, or no response within the response timeout. */
export class CoapTimeoutError extends CoapError {
  override readonly name: string = 'CoapTimeoutError';
}

/** The peer answered our message with a Reset (RST). */
export class CoapResetError extends CoapError {
  override readonly name: string = 'CoapResetError';
}

/** A bounded table of ours is full (the request queue, CONs awaiting their ACK): nothing was sent. */
export class CoapCapacityError extends CoapError {
  override readonly name: string = 'CoapCapacityError';
}
