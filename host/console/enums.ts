// Names of the values of enumerated resources (the numbers the object
// definitions list in their descriptions), so the prompt and the console say
// "Unsupported protocol (9)" where a device reports 9. Plain data.

const SECURITY_MODE = ['Pre-Shared Key', 'Raw Public Key', 'Certificate', 'NoSec', 'Certificate with EST'];
const POWER_SOURCE = [
  'DC power',
  'Internal Battery',
  'External Battery',
  'Fuel Cell',
  'Power over Ethernet',
  'USB',
  'AC (Mains) power',
  'Solar',
];
const ERROR_CODE = [
  'No error',
  'Low battery power',
  'External power supply off',
  'GPS module failure',
  'Low received signal strength',
  'Out of memory',
  'SMS failure',
  'IP connectivity failure',
  'Peripheral malfunction',
];
const BATTERY_STATUS = ['Normal', 'Charging', 'Charge Complete', 'Damaged', 'Low Battery', 'Not Installed', 'Unknown'];
/** Firmware Update (/5) State and Update Result. */
export const FW_STATE_NAMES: readonly string[] = Object.freeze(['Idle', 'Downloading', 'Downloaded', 'Updating']);
export const FW_RESULT_NAMES: readonly string[] = Object.freeze([
  'Initial value',
  'Firmware updated successfully',
  'Not enough flash memory',
  'Out of RAM during download',
  'Connection lost during download',
  'Integrity check failure',
  'Unsupported package type',
  'Invalid URI',
  'Firmware update failed',
  'Unsupported protocol',
  'Firmware update cancelled',
  'Firmware update deferred',
]);
const FW_PROTOCOL = ['CoAP', 'CoAPS', 'HTTP 1.1', 'HTTPS 1.1', 'CoAP over TCP', 'CoAP over TLS'];
const FW_DELIVERY = ['Pull only', 'Push only', 'Push or Pull'];

/** By "object/resource". */
const ENUMS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '0/2': SECURITY_MODE,
  '3/6': POWER_SOURCE,
  '3/11': ERROR_CODE,
  '3/20': BATTERY_STATUS,
  '5/3': FW_STATE_NAMES,
  '5/5': FW_RESULT_NAMES,
  '5/8': FW_PROTOCOL,
  '5/9': FW_DELIVERY,
});

/** The name of `value` of resource `rid` of object `oid`, when it is an enumeration that names it. */
export function enumName(oid: number | undefined, rid: number | undefined, value: unknown): string | undefined {
  if (oid === undefined || rid === undefined || typeof value !== 'number') return undefined;
  return ENUMS[`${oid}/${rid}`]?.[value];
}
