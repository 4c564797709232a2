// Wall clock port. Date.now() on the device counts from boot (1970) until
// setup/network sets the time from SNTP (`sntp=` build argument); callers can
// ask isSet() before trusting it (Device /3/0/13 reports it either way).
import type { WallClock } from '../ports';

/** 2020-01-01T00:00:00Z: any earlier reading means the clock was never set. */
const EARLIEST_PLAUSIBLE = 1577836800;

export const systemClock: WallClock & { isSet(): boolean } = Object.freeze({
  epochSeconds(): number {
    return Math.floor(Date.now() / 1000);
  },
  isSet(): boolean {
    return Date.now() / 1000 >= EARLIEST_PLAUSIBLE;
  },
});
