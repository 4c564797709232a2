/*
 * The part of ESP-IDF's public API that ota-boot.c calls, declared from the
 * API reference (app_update: esp_ota_ops.h; esp_partition.h; esp_system.h),
 * only so the file compiles and is checked where no ESP-IDF is installed
 * (host-tests/native: gcc and xtensa-lx106-elf-gcc with
 * -DXS_LWM2M_IDF_DECLS). A real board build never sees this file: it
 * includes ESP-IDF's own headers.
 */
#ifndef XS_LWM2M_ESP_IDF_OTA_H
#define XS_LWM2M_ESP_IDF_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int esp_err_t;
#define ESP_OK 0

typedef enum {
	ESP_PARTITION_TYPE_APP = 0x00,
	ESP_PARTITION_TYPE_DATA = 0x01,
} esp_partition_type_t;

typedef int esp_partition_subtype_t;

/* The fields of esp_partition_t that the API reference documents (flash_chip is an opaque pointer here). */
typedef struct {
	void *flash_chip;
	esp_partition_type_t type;
	esp_partition_subtype_t subtype;
	uint32_t address;
	uint32_t size;
	uint32_t erase_size;
	char label[17];
	bool encrypted;
	bool readonly;
} esp_partition_t;

typedef enum {
	ESP_OTA_IMG_NEW = 0x0U,
	ESP_OTA_IMG_PENDING_VERIFY = 0x1U,
	ESP_OTA_IMG_VALID = 0x2U,
	ESP_OTA_IMG_INVALID = 0x3U,
	ESP_OTA_IMG_ABORTED = 0x4U,
	ESP_OTA_IMG_UNDEFINED = 0xFFFFFFFFU,
} esp_ota_img_states_t;

const esp_partition_t *esp_ota_get_running_partition(void);
const esp_partition_t *esp_ota_get_next_update_partition(const esp_partition_t *start_from);
const esp_partition_t *esp_ota_get_last_invalid_partition(void);
esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition, esp_ota_img_states_t *ota_state);
esp_err_t esp_ota_mark_app_valid_cancel_rollback(void);
esp_err_t esp_partition_read(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size);
void esp_restart(void) __attribute__((noreturn));

#endif
