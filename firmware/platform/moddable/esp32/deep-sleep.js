// Queue Mode's deep sleep and retained memory on an ESP32 (deep-sleep.c over
// ESP-IDF's sleep API). Kept in .js: the `@` host-function syntax is XS-only;
// ../types/ambient/deep-sleep.d.ts gives TypeScript the shapes.

function capacity() @ "xs_deepsleep_capacity";
function read() @ "xs_deepsleep_read";
function age() @ "xs_deepsleep_age";
function write(data) @ "xs_deepsleep_write";
function clear() @ "xs_deepsleep_clear";
function wakeCause() @ "xs_deepsleep_wake_cause";
function sleep(ms, pin, level, mask, anyHigh) @ "xs_deepsleep_sleep";

export { capacity, read, age, write, clear, wakeCause, sleep };
