// Types of exit.js (the lin runtime's reset, exit.c).
/** Ends the process at once with `status`, as a reset ends a board's run. */
export function exit(status: number): void;
