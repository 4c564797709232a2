// Types of ota-boot.js (ota-boot.c over ESP-IDF's app_update API).

/** esp_ota_get_state_partition() of the running partition (esp_ota_img_states_t); -1 when it has none (factory). */
export function runningState(): number;
/** esp_ota_mark_app_valid_cancel_rollback() succeeded. */
export function markValid(): boolean;
/** esp_ota_get_last_invalid_partition() names a partition (a trial was rolled back, or an image was refused). */
export function rolledBack(): boolean;
/** Size in bytes of esp_ota_get_next_update_partition(NULL); 0 without one. */
export function capacity(): number;
/** The first `length` bytes (at most 512) of the running partition: the image header. */
export function readRunning(length: number): ArrayBuffer | undefined;
/** esp_restart(): does not return. */
export function restart(): void;
