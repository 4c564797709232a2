// Types of deep-sleep.js (deep-sleep.c over ESP-IDF's sleep API); the same as
// ../types/ambient/deep-sleep.d.ts, which the Linux runtime's shim also meets.

/** Bytes the retained buffer holds (RTC slow memory). */
export function capacity(): number;
/** The retained record when one is whole (length and CRC check), else undefined. Reading does not clear it. */
export function read(): ArrayBuffer | undefined;
/** ms since the record was written (the time slept); 0 without one. */
export function age(): number;
/** Keeps `data` as the record; false when it is empty or over capacity(). */
export function write(data: ArrayBuffer): boolean;
/** Invalidates the record. */
export function clear(): void;
/** 0 power-on or reset, 1 timer, 2 ext0, 3 ext1 (or the GPIO wake of chips without ext0/ext1), 4 other. */
export function wakeCause(): number;
/** Arms the timer (ms; 0 none), ext0 (pin at level; pin < 0 none), ext1 (mask, anyHigh), then esp_deep_sleep_start(): does not return. */
export function sleep(ms: number, pin: number, level: number, mask: number, anyHigh: number): void;
