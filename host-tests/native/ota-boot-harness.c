/*
 * Drives firmware/platform/moddable/esp32/ota-boot.c on the host: the ESP-IDF
 * calls it makes are answered by a small model of otadata below (the states
 * and partitions a test names on the command line), and just enough of the
 * XS C API (result and argument slots) to call its host functions.
 * Usage: ota-boot-harness <running: factory|ota_0|ota_1> <state: -1..4|undef> <next: 0|1> <invalid: 0|1>
 * Prints one "name value" line per host function; host-tests/native asserts them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsmc.h"
#include "esp-idf-ota.h"

/* ---- the ESP-IDF model ---- */

static esp_partition_t factory = { NULL, ESP_PARTITION_TYPE_APP, 0x00, 0x10000, 0x100000, 4096, "factory", false, false };
static esp_partition_t ota0 = { NULL, ESP_PARTITION_TYPE_APP, 0x10, 0x10000, 0x1F0000, 4096, "ota_0", false, false };
static esp_partition_t ota1 = { NULL, ESP_PARTITION_TYPE_APP, 0x11, 0x200000, 0x1F0000, 4096, "ota_1", false, false };
static const esp_partition_t *running;
static int running_state;      /* -1: the partition has none (esp_ota_get_state_partition fails) */
static int has_next, has_invalid, marked;

const esp_partition_t *esp_ota_get_running_partition(void) { return running; }
const esp_partition_t *esp_ota_get_next_update_partition(const esp_partition_t *start_from)
{
	(void)start_from;
	if (!has_next) return NULL;
	return (running == &ota0) ? &ota1 : &ota0;
}
const esp_partition_t *esp_ota_get_last_invalid_partition(void) { return has_invalid ? ((running == &ota0) ? &ota1 : &ota0) : NULL; }
esp_err_t esp_ota_get_state_partition(const esp_partition_t *partition, esp_ota_img_states_t *ota_state)
{
	if ((partition == &factory) || (running_state < -1)) return 0x106;   /* ESP_ERR_NOT_SUPPORTED */
	*ota_state = (running_state == -1) ? ESP_OTA_IMG_UNDEFINED : (esp_ota_img_states_t)running_state;
	return ESP_OK;
}
esp_err_t esp_ota_mark_app_valid_cancel_rollback(void) { marked++; running_state = ESP_OTA_IMG_VALID; return ESP_OK; }
esp_err_t esp_partition_read(const esp_partition_t *partition, size_t src_offset, void *dst, size_t size)
{
	size_t i;
	for (i = 0; i < size; i++) ((uint8_t *)dst)[i] = (uint8_t)((partition->address >> 16) + src_offset + i);
	return ESP_OK;
}
void esp_restart(void) { printf("restart 1\n"); exit(0); }

/* ---- the few XS entry points ota-boot.c uses ---- */

static xsSlot slots[64];
static struct xsMachineRecord machine;
static xsMachine *the = &machine;
static uint8_t buffer_copy[1024];
static xsIntegerValue buffer_size = -1;

void fxInteger(xsMachine *m, xsSlot *slot, xsIntegerValue value) { (void)m; slot->data[0] = (void *)(intptr_t)value; slot->data[1] = (void *)1; }
void fxBoolean(xsMachine *m, xsSlot *slot, xsBooleanValue value) { (void)m; slot->data[0] = (void *)(intptr_t)(value ? 1 : 0); slot->data[1] = (void *)2; }
xsIntegerValue fxToInteger(xsMachine *m, xsSlot *slot) { (void)m; return (xsIntegerValue)(intptr_t)slot->data[0]; }
void *fxArrayBuffer(xsMachine *m, xsSlot *slot, void *data, xsIntegerValue size, xsIntegerValue max)
{
	(void)m; (void)max;
	if ((size < 0) || ((size_t)size > sizeof buffer_copy)) { printf("buffer too big\n"); exit(4); }
	memcpy(buffer_copy, data, (size_t)size);
	buffer_size = size;
	slot->data[1] = (void *)3;
	return buffer_copy;
}
void fxThrowMessage(xsMachine *m, xsStringValue path, xsIntegerValue line, xsIntegerValue error, xsStringValue message, ...)
{
	(void)m; (void)path; (void)line; (void)error;
	printf("throw %s\n", message);
	exit(0);
}

void xs_otaboot_running_state(xsMachine *the);
void xs_otaboot_mark_valid(xsMachine *the);
void xs_otaboot_rolled_back(xsMachine *the);
void xs_otaboot_capacity(xsMachine *the);
void xs_otaboot_read_running(xsMachine *the);
void xs_otaboot_restart(xsMachine *the);

static void call(const char *name, void (*fn)(xsMachine *), int argc, int32_t a0)
{
	machine.frame = &slots[32];
	machine.scope = &slots[48];
	machine.stack = &slots[63];
	if (argc > 0) fxInteger(the, &xsArg(0), a0);
	xsResult.data[0] = NULL;
	xsResult.data[1] = NULL;   /* undefined */
	buffer_size = -1;
	fn(the);
	if (xsResult.data[1] == NULL) printf("%s undefined\n", name);
	else if (xsResult.data[1] == (void *)3) {
		printf("%s buffer %ld", name, (long)buffer_size);
		for (xsIntegerValue i = 0; i < buffer_size && i < 4; i++) printf(" %02x", buffer_copy[i]);
		printf("\n");
	}
	else printf("%s %ld\n", name, (long)fxToInteger(the, &xsResult));
}

int main(int argc, char **argv)
{
	if (argc < 5) return 2;
	running = !strcmp(argv[1], "ota_0") ? &ota0 : !strcmp(argv[1], "ota_1") ? &ota1 : &factory;
	running_state = !strcmp(argv[2], "undef") ? -1 : atoi(argv[2]);
	has_next = atoi(argv[3]);
	has_invalid = atoi(argv[4]);

	call("runningState", xs_otaboot_running_state, 0, 0);
	call("rolledBack", xs_otaboot_rolled_back, 0, 0);
	call("capacity", xs_otaboot_capacity, 0, 0);
	call("readRunning", xs_otaboot_read_running, 1, 288);
	call("markValid", xs_otaboot_mark_valid, 0, 0);
	printf("marked %d\n", marked);
	call("runningStateAfter", xs_otaboot_running_state, 0, 0);
	if (argc > 5) call("readRunningTooLong", xs_otaboot_read_running, 1, atoi(argv[5]));
	if (argc > 6) xs_otaboot_restart(the);
	return 0;
}
