/*
 * ota-boot (ota-boot.js): what the firmware-image port needs beyond the SDK's
 * `ota` module, over ESP-IDF's app_update API. With app rollback enabled in
 * the bootloader (boards/<board>/sdkconfig: CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE)
 * a new image boots PENDING_VERIFY and is rolled back at the next reset unless
 * esp_ota_mark_app_valid_cancel_rollback() ran; the running partition's state
 * and the last invalid partition tell the port how this boot came about.
 * No call keeps a pointer into XS memory across another XS call.
 */
#include <stddef.h>
#include <stdint.h>
#include "xsmc.h"

#ifdef XS_LWM2M_IDF_DECLS
	#include "esp-idf-ota.h"
#else
	#include "app_update/include/esp_ota_ops.h"
	#include "esp_partition.h"
	#include "esp_system.h"
#endif

/* Enough for either image header the port reads (ESP-IDF 288 bytes, host 76). */
#define READ_RUNNING_MAX 512

void xs_otaboot_running_state(xsMachine *the)
{
	esp_ota_img_states_t state;
	const esp_partition_t *running = esp_ota_get_running_partition();

	/* The factory partition has no OTA state (ESP_ERR_NOT_SUPPORTED): -1. */
	if ((NULL == running) || (ESP_OK != esp_ota_get_state_partition(running, &state)) || (ESP_OTA_IMG_UNDEFINED == state))
		xsmcSetInteger(xsResult, -1);
	else
		xsmcSetInteger(xsResult, (xsIntegerValue)state);
}

void xs_otaboot_mark_valid(xsMachine *the)
{
	xsmcSetBoolean(xsResult, ESP_OK == esp_ota_mark_app_valid_cancel_rollback());
}

void xs_otaboot_rolled_back(xsMachine *the)
{
	xsmcSetBoolean(xsResult, NULL != esp_ota_get_last_invalid_partition());
}

void xs_otaboot_capacity(xsMachine *the)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);
	xsmcSetInteger(xsResult, (NULL == next) ? 0 : (xsIntegerValue)next->size);
}

void xs_otaboot_read_running(xsMachine *the)
{
	uint8_t head[READ_RUNNING_MAX];
	const esp_partition_t *running = esp_ota_get_running_partition();
	xsIntegerValue length = xsmcToInteger(xsArg(0));

	if ((length <= 0) || (length > READ_RUNNING_MAX))
		xsRangeError("invalid length");
	if ((NULL == running) || ((uint32_t)length > running->size))
		return;
	/* Read into C memory first: the ArrayBuffer is made only once the flash read is done. */
	if (ESP_OK != esp_partition_read(running, 0, head, (size_t)length))
		return;
	xsmcSetArrayBuffer(xsResult, head, length);
}

void xs_otaboot_restart(xsMachine *the)
{
	(void)the;
	esp_restart();
}
