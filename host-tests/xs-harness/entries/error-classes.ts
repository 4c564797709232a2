// XS entry: every Error subclass the core defines, made and thrown inside XS
// with the built-ins frozen as on the device. The test bundles this module
// first and then every core module, so the preload-freeze registry
// (host-tests/xs-harness/preload-freeze.ts) holds each class, exported or not.
import { installXsHost, jsonBytes as json, registerCall } from '../port/host';

installXsHost();

interface Made {
  class: string;
  name?: string;
  message?: string;
  text?: string;
  caught?: boolean;
  threw?: string;
}

registerCall('errorClasses', () => {
  const preloaded = (globalThis as { __xsPreloaded?: unknown[] }).__xsPreloaded ?? [];
  const out: Made[] = [];
  for (const C of preloaded) {
    if (typeof C !== 'function' || !(C.prototype instanceof Error)) continue;
    const Ctor = C as new (m: string) => Error;
    try {
      const e = new Ctor('probe');
      let caught = false;
      try {
        throw e;
      } catch (x) {
        caught = x === e && x instanceof Ctor;
      }
      out.push({ class: Ctor.name, name: e.name, message: e.message, text: String(e), caught });
    } catch (x) {
      out.push({ class: Ctor.name, threw: String(x) });
    }
  }
  return json({ frozen: Object.isFrozen(Error.prototype) && Object.isFrozen(Object.prototype), classes: out });
});
