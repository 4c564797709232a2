// Types of entropy.js (the lin runtime's random bytes, entropy.c over getrandom(2)).
/** Fills the whole buffer with random bytes from the kernel's CSPRNG; throws if there are none. */
export function fill(buffer: ArrayBuffer): void;
