// What the SDK's `ota` module lacks for the firmware-image port
// (../firmware-slot.ts), in C over ESP-IDF (ota-boot.c). Kept in .js: the
// `@` host-function syntax is XS-only; ota-boot.d.ts gives TypeScript the shapes.

function runningState() @ "xs_otaboot_running_state";
function markValid() @ "xs_otaboot_mark_valid";
function rolledBack() @ "xs_otaboot_rolled_back";
function capacity() @ "xs_otaboot_capacity";
function readRunning(length) @ "xs_otaboot_read_running";
function restart() @ "xs_otaboot_restart";

export { runningState, markValid, rolledBack, capacity, readRunning, restart };
