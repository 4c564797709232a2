// Constant tables frozen all the way down. On the device every module is
// preloaded into flash, and the XS linker keeps a RAM pointer for each
// object of a preloaded module that could still change (an "alias"); frozen
// objects need none, and a stray write to one throws instead of silently
// moving it to RAM. (XS's own Object.freeze(o, true) deep form is XS-only.)

/** Freezes `value`, and every array and plain object inside it, and returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) {
      if (typeof v === 'object' && v !== null && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)) deepFreeze(v);
    }
  }
  return value;
}
