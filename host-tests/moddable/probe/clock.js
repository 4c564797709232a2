// A microsecond clock for the measuring lin build (the SDK's `microseconds`
// module has no Linux implementation): CLOCK_MONOTONIC through clock.c.
function microseconds() @ "xs_probe_microseconds";
export default microseconds;
