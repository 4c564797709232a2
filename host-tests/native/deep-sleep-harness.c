/*
 * Drives firmware/platform/moddable/esp32/deep-sleep.c on the host: the ESP-IDF
 * sleep calls it makes are recorded by a small model below (the wake cause is
 * the one the command line names, the clock is a number the script moves),
 * with just enough of the XS C API (result and argument slots, buffers) to
 * call its host functions. The file under test is included here, so the RTC
 * buffer (a plain static on the host, as RTC memory is across a deep sleep)
 * can be damaged on purpose.
 * Usage: deep-sleep-harness <wake cause: esp_sleep_source_t number> <script...>
 *   write:<n>      write n bytes (0, 1, 2 … mod 251)
 *   read           read (prints its length and first bytes, or undefined)
 *   age            age in ms
 *   clock:<ms>     moves the system time on by ms
 *   corrupt:<i>    flips a bit of data byte i (RTC memory damaged)
 *   clear          clear
 *   cause          wakeCause()
 *   capacity       capacity()
 *   sleep:<ms>:<pin>:<level>:<mask>:<anyHigh>   arms the wake sources and sleeps (prints what was armed)
 * Prints one "name value" line per step; host-tests/native/deep-sleep.test.ts asserts them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "xsmc.h"
#include "esp-idf-sleep.h"

/* ---- the ESP-IDF model (declared before the file under test includes it) ---- */

static esp_sleep_source_t wakeCause;
static int64_t clockUs = 1000000000;

int gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	tv->tv_sec = (time_t)(clockUs / 1000000);
	tv->tv_usec = (suseconds_t)(clockUs % 1000000);
	return 0;
}
esp_sleep_source_t esp_sleep_get_wakeup_cause(void) { return wakeCause; }
esp_err_t esp_sleep_enable_timer_wakeup(uint64_t us) { printf("timer %llu\n", (unsigned long long)us); return ESP_OK; }
esp_err_t esp_sleep_enable_ext0_wakeup(gpio_num_t pin, int level)
{
	printf("ext0 %d %d\n", pin, level);
	return (pin >= 0 && pin <= 39) ? ESP_OK : 0x102;   /* ESP_ERR_INVALID_ARG for a pin that is no RTC GPIO */
}
esp_err_t esp_sleep_enable_ext1_wakeup(uint64_t mask, esp_sleep_ext1_wakeup_mode_t mode)
{
	printf("ext1 %llx %d\n", (unsigned long long)mask, (int)mode);
	return ESP_OK;
}
esp_err_t esp_deep_sleep_enable_gpio_wakeup(uint64_t mask, esp_deepsleep_gpio_wake_up_mode_t mode) { (void)mask; (void)mode; return ESP_OK; }
esp_err_t rtc_gpio_pullup_en(gpio_num_t pin) { printf("pullup %d\n", pin); return ESP_OK; }
esp_err_t rtc_gpio_pullup_dis(gpio_num_t pin) { (void)pin; return ESP_OK; }
esp_err_t rtc_gpio_pulldown_en(gpio_num_t pin) { printf("pulldown %d\n", pin); return ESP_OK; }
esp_err_t rtc_gpio_pulldown_dis(gpio_num_t pin) { (void)pin; return ESP_OK; }
void esp_deep_sleep_start(void) { printf("deep-sleep 1\n"); exit(0); }

/* The file under test, in this translation unit: its RTC buffer (a static) is what corrupt:<i> damages. */
#include "deep-sleep.c"

/* ---- the few XS entry points deep-sleep.c uses ---- */

static xsSlot slots[64];
static struct xsMachineRecord machine;
static xsMachine *the = &machine;
static uint8_t bufferCopy[4096];
static xsIntegerValue bufferSize = -1;
static uint8_t argBuffer[4096];
static xsUnsignedValue argLength;

enum { UNDEFINED = 0, INTEGER = 1, BOOLEAN = 2, BUFFER = 3, NUMBER = 4 };

void fxInteger(xsMachine *m, xsSlot *slot, xsIntegerValue value) { (void)m; slot->data[0] = (void *)(intptr_t)value; slot->data[1] = (void *)INTEGER; }
void fxNumber(xsMachine *m, xsSlot *slot, xsNumberValue value) { (void)m; slot->data[0] = (void *)(intptr_t)(int64_t)value; slot->data[1] = (void *)NUMBER; }
void fxBoolean(xsMachine *m, xsSlot *slot, xsBooleanValue value) { (void)m; slot->data[0] = (void *)(intptr_t)(value ? 1 : 0); slot->data[1] = (void *)BOOLEAN; }
xsIntegerValue fxToInteger(xsMachine *m, xsSlot *slot) { (void)m; return (xsIntegerValue)(intptr_t)slot->data[0]; }
xsNumberValue fxToNumber(xsMachine *m, xsSlot *slot) { (void)m; return (xsNumberValue)(intptr_t)slot->data[0]; }
void *fxArrayBuffer(xsMachine *m, xsSlot *slot, void *data, xsIntegerValue size, xsIntegerValue max)
{
	(void)m; (void)max;
	if ((size < 0) || ((size_t)size > sizeof bufferCopy)) { printf("buffer too big\n"); exit(4); }
	memcpy(bufferCopy, data, (size_t)size);
	bufferSize = size;
	slot->data[1] = (void *)BUFFER;
	return bufferCopy;
}
xsIntegerValue _xsmcGetBuffer(xsMachine *m, xsSlot *slot, void **data, xsUnsignedValue *count, xsBooleanValue writable)
{
	(void)m; (void)slot; (void)writable;
	*data = argBuffer;
	*count = argLength;
	return 0;
}
void fxThrowMessage(xsMachine *m, xsStringValue path, xsIntegerValue line, xsIntegerValue error, xsStringValue message, ...)
{
	(void)m; (void)path; (void)line; (void)error;
	printf("throw %s\n", message);
	exit(0);
}


static void frame(void)
{
	machine.frame = &slots[32];
	machine.scope = &slots[48];
	machine.stack = &slots[63];
	xsResult.data[0] = NULL;
	xsResult.data[1] = NULL;
	bufferSize = -1;
}

static void show(const char *name)
{
	intptr_t kind = (intptr_t)xsResult.data[1];
	if (kind == UNDEFINED) printf("%s undefined\n", name);
	else if (kind == BUFFER) {
		printf("%s buffer %ld", name, (long)bufferSize);
		for (xsIntegerValue i = 0; i < bufferSize && i < 4; i++) printf(" %02x", bufferCopy[i]);
		printf("\n");
	}
	else printf("%s %ld\n", name, (long)(intptr_t)xsResult.data[0]);
}

int main(int argc, char **argv)
{
	if (argc < 2) return 2;
	wakeCause = (esp_sleep_source_t)atoi(argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		frame();
		if (!strncmp(a, "write:", 6)) {
			argLength = (xsUnsignedValue)atoi(a + 6);
			if (argLength > sizeof argBuffer) return 3;
			for (xsUnsignedValue k = 0; k < argLength; k++) argBuffer[k] = (uint8_t)(k % 251);
			xs_deepsleep_write(the);
			show("write");
		}
		else if (!strcmp(a, "read")) { xs_deepsleep_read(the); show("read"); }
		else if (!strcmp(a, "age")) { xs_deepsleep_age(the); show("age"); }
		else if (!strncmp(a, "clock:", 6)) clockUs += (int64_t)atoll(a + 6) * 1000;
		else if (!strncmp(a, "corrupt:", 8)) retained.data[atoi(a + 8)] ^= 0x01;
		else if (!strcmp(a, "clear")) { xs_deepsleep_clear(the); show("clear"); }
		else if (!strcmp(a, "cause")) { xs_deepsleep_wake_cause(the); show("cause"); }
		else if (!strcmp(a, "capacity")) { xs_deepsleep_capacity(the); show("capacity"); }
		else if (!strncmp(a, "sleep:", 6)) {
			long ms, pin, level, mask, anyHigh;
			if (sscanf(a + 6, "%ld:%ld:%ld:%ld:%ld", &ms, &pin, &level, &mask, &anyHigh) != 5) return 3;
			fxNumber(the, &xsArg(0), (xsNumberValue)ms);
			fxInteger(the, &xsArg(1), (xsIntegerValue)pin);
			fxInteger(the, &xsArg(2), (xsIntegerValue)level);
			fxNumber(the, &xsArg(3), (xsNumberValue)mask);
			fxInteger(the, &xsArg(4), (xsIntegerValue)anyHigh);
			xs_deepsleep_sleep(the);
			printf("returned 1\n");
		}
		else return 3;
	}
	return 0;
}
