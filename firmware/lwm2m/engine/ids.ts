// Object and resource ids the engine acts on (Core spec Appendix E).

export const OBJ = Object.freeze({ SECURITY: 0, SERVER: 1, ACCESS_CONTROL: 2, DEVICE: 3, CONNECTIVITY: 4, FIRMWARE: 5 } as const);

/** Security Object (0). */
export const SEC = Object.freeze({
  URI: 0,
  BOOTSTRAP_SERVER: 1,
  SECURITY_MODE: 2,
  PUBLIC_KEY_OR_ID: 3,
  SERVER_PUBLIC_KEY: 4,
  SECRET_KEY: 5,
  SHORT_SERVER_ID: 10,
  CLIENT_HOLD_OFF_TIME: 11,
  BOOTSTRAP_SERVER_ACCOUNT_TIMEOUT: 12,
} as const);

/** Security Mode values of /0/x/2. */
export const SECURITY_MODE = Object.freeze({ PSK: 0, RPK: 1, CERTIFICATE: 2, NOSEC: 3, CERTIFICATE_EST: 4 } as const);

/** Server Object (1). */
export const SRV = Object.freeze({
  SHORT_SERVER_ID: 0,
  LIFETIME: 1,
  DEFAULT_MIN_PERIOD: 2,
  DEFAULT_MAX_PERIOD: 3,
  DISABLE: 4,
  DISABLE_TIMEOUT: 5,
  NOTIFICATION_STORING: 6,
  BINDING: 7,
  REGISTRATION_UPDATE_TRIGGER: 8,
  BOOTSTRAP_REQUEST_TRIGGER: 9,
  LAST_BOOTSTRAPPED: 12,
  REGISTRATION_PRIORITY_ORDER: 13,
  INITIAL_REGISTRATION_DELAY: 14,
  REGISTRATION_FAILURE_BLOCK: 15,
  BOOTSTRAP_ON_REGISTRATION_FAILURE: 16,
  COMMUNICATION_RETRY_COUNT: 17,
  COMMUNICATION_RETRY_TIMER: 18,
  COMMUNICATION_SEQUENCE_DELAY_TIMER: 19,
  COMMUNICATION_SEQUENCE_RETRY_COUNT: 20,
  MUTE_SEND: 23,
} as const);

/** Device Object (3). */
export const DEV = Object.freeze({
  MANUFACTURER: 0,
  MODEL_NUMBER: 1,
  SERIAL_NUMBER: 2,
  FIRMWARE_VERSION: 3,
  REBOOT: 4,
  FACTORY_RESET: 5,
  AVAILABLE_POWER_SOURCES: 6,
  ERROR_CODE: 11,
  RESET_ERROR_CODE: 12,
  CURRENT_TIME: 13,
  UTC_OFFSET: 14,
  TIMEZONE: 15,
  SUPPORTED_BINDING: 16,
  DEVICE_TYPE: 17,
  HARDWARE_VERSION: 18,
  SOFTWARE_VERSION: 19,
  MEMORY_FREE: 10,
  MEMORY_TOTAL: 21,
} as const);

/** 1.1 Server Object defaults for the registration retry resources (Core §6.2.1.1). */
export const REGISTRATION_DEFAULTS = Object.freeze({
  communicationRetryCount: 5,
  communicationRetryTimer: 60, // s, doubled after each failed attempt
  communicationSequenceDelayTimer: 86400, // s
  communicationSequenceRetryCount: 1,
  bootstrapOnRegistrationFailure: true,
} as const);
