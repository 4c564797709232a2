// Milliseconds elapsed between two readings of a 32-bit tick counter that
// wraps (Time.ticks on the device). Correct whether the host hands the counter
// out signed or unsigned, as long as less than 2^32 ms passed between readings.
export const TICK_WRAP = 4294967296;

export function tickDelta(previous: number, current: number): number {
  return (((current - previous) % TICK_WRAP) + TICK_WRAP) % TICK_WRAP;
}
