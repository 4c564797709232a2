// What the page keeps in the browser's localStorage so a reload does not lose
// it: each device's operation results and the values last read. Bounded (the
// devices used most recently), and anything unreadable is simply dropped.

const PREFIX = 'xs-lwm2m-console:';
/** Devices whose results and values are kept (the ones used most recently). */
export const MAX_SAVED_DEVICES = 32;

export function load<T>(name: string): Array<[string, T]> {
  try {
    const raw = localStorage.getItem(PREFIX + name);
    const v = raw ? (JSON.parse(raw) as unknown) : [];
    return Array.isArray(v) ? v.filter((e): e is [string, T] => Array.isArray(e) && typeof e[0] === 'string') : [];
  } catch {
    return [];
  }
}

/** Saves the last MAX_SAVED_DEVICES entries of a Map (its insertion order: oldest first). */
export function save<T>(name: string, m: Map<string, T>): void {
  try {
    localStorage.setItem(PREFIX + name, JSON.stringify([...m].slice(-MAX_SAVED_DEVICES)));
  } catch {
    /* storage full or off: the page works without it */
  }
}
