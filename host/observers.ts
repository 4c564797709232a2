// Events the host tools hand to whoever listens (the shell, the web console,
// the caller's onEvent): an observer that throws is a bug of its own and
// must not stop the server, the other observers or the caller.

/** Hands `e` to each observer given (undefined ones are skipped); a throw is swallowed. */
export function tellObservers<E>(e: E, ...observers: Array<((e: E) => void) | undefined | Iterable<(e: E) => void>>): void {
  for (const o of observers) {
    if (o === undefined) continue;
    if (typeof o === 'function') tell(o, e);
    else for (const l of o) tell(l, e);
  }
}

function tell<E>(f: (e: E) => void, e: E): void {
  try {
    f(e);
  } catch {
    /* observer bug */
  }
}
