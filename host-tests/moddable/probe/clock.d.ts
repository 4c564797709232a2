/** CLOCK_MONOTONIC in microseconds (clock.c). */
export default function microseconds(): number;
