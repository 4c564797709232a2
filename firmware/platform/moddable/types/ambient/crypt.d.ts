// For `npm run typecheck:device` only (tsconfig.device.json): npm
// @moddable/typings 5.6.0 has no declaration of the SDK's `crypt` module; an
// SDK build uses the SDK's own typings/crypt.d.ts (Digest only). The port
// imports the namespace and casts it to types/crypt.d.ts, which works with both.
declare module 'crypt' {
  export const Digest: unknown;
}
