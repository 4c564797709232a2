// For `npm run typecheck:device` only (tsconfig.device.json): npm
// @moddable/typings 5.6.0 has no declaration of the ECMA-419 Wi-Fi interface
// module; an SDK build uses the SDK's own typings/embedded_network/interface/wifi.d.ts.
declare module 'embedded:network/interface/wifi' {
  const WiFi: unknown;
  export default WiFi;
}
