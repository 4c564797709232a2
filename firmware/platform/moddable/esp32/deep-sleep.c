/*
 * deep-sleep (deep-sleep.js): Queue Mode's deep sleep on an ESP32, over
 * ESP-IDF's sleep API (esp_sleep.h): the timer wake-up, an optional GPIO wake
 * (ext0 on one RTC GPIO at a level, ext1 on a mask; the GPIO wake of chips
 * that have neither, such as the ESP32-C3), the wake cause, and
 * esp_deep_sleep_start. And the retained memory: a buffer in RTC slow memory
 * (RTC_DATA_ATTR), which a deep sleep keeps and a power-on clears, holding one
 * record with its length, a CRC-32 and when it was written (the system time,
 * which ESP-IDF keeps across deep sleep on the RTC timer), so the woken
 * firmware knows how long it slept. A record whose length or CRC does not
 * check is no record. No call keeps a pointer into XS memory across another
 * XS call.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include "xsmc.h"

#ifdef XS_LWM2M_IDF_DECLS
	#include "esp-idf-sleep.h"
#else
	#include "esp_attr.h"
	#include "esp_sleep.h"
	#include "soc/soc_caps.h"
	#include "driver/rtc_io.h"
#endif

/* Bytes of the record: RTC slow memory is 8 KiB on these chips, and the session of a client with a few servers is well under this. */
#define RETAINED_CAPACITY 2048
#define RETAINED_MAGIC 0x4C575331u	/* "LWS1" */

typedef struct {
	uint32_t magic;
	uint32_t length;
	uint32_t crc;
	int64_t writtenUs;
	uint8_t data[RETAINED_CAPACITY];
} Retained;

/* Zero after a power-on (the bootloader loads .rtc.data then); kept as it was across a deep sleep. */
static RTC_DATA_ATTR Retained retained;

/* deep-sleep wakeCause() values. */
enum { WAKE_POWER_ON = 0, WAKE_TIMER = 1, WAKE_EXT0 = 2, WAKE_EXT1 = 3, WAKE_OTHER = 4 };

/* CRC-32 (IEEE 802.3, as firmware/store/crc.ts), bitwise: a record is checked once per boot. */
static uint32_t crc32(const uint8_t *p, uint32_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	uint32_t i;
	int k;
	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c & 1u) ? ((c >> 1) ^ 0xEDB88320u) : (c >> 1);
	}
	return c ^ 0xFFFFFFFFu;
}

static int64_t nowUs(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return ((int64_t)tv.tv_sec * 1000000) + (int64_t)tv.tv_usec;
}

static int whole(void)
{
	return (RETAINED_MAGIC == retained.magic) && (retained.length > 0) && (retained.length <= RETAINED_CAPACITY)
		&& (retained.crc == crc32(retained.data, retained.length));
}

void xs_deepsleep_capacity(xsMachine *the)
{
	xsmcSetInteger(xsResult, RETAINED_CAPACITY);
}

void xs_deepsleep_read(xsMachine *the)
{
	if (whole())
		xsmcSetArrayBuffer(xsResult, retained.data, (xsIntegerValue)retained.length);
}

void xs_deepsleep_age(xsMachine *the)
{
	int64_t ms;
	if (!whole()) {
		xsmcSetInteger(xsResult, 0);
		return;
	}
	ms = (nowUs() - retained.writtenUs) / 1000;
	/* The clock set back since (it should not be): no time slept rather than a negative one. */
	xsmcSetNumber(xsResult, (ms < 0) ? 0.0 : (double)ms);
}

void xs_deepsleep_write(xsMachine *the)
{
	xsUnsignedValue length = 0;
	void *data = NULL;

	xsmcGetBufferReadable(xsArg(0), &data, &length);
	if ((0 == length) || (length > RETAINED_CAPACITY)) {
		xsmcSetBoolean(xsResult, 0);
		return;
	}
	/* Invalid while it is written: a reset halfway leaves no record, never half of one. */
	retained.magic = 0;
	memcpy(retained.data, data, length);
	retained.length = (uint32_t)length;
	retained.crc = crc32(retained.data, retained.length);
	retained.writtenUs = nowUs();
	retained.magic = RETAINED_MAGIC;
	xsmcSetBoolean(xsResult, 1);
}

void xs_deepsleep_clear(xsMachine *the)
{
	(void)the;
	retained.magic = 0;
	memset(retained.data, 0, sizeof(retained.data));
	retained.length = 0;
}

void xs_deepsleep_wake_cause(xsMachine *the)
{
	int cause;
	switch (esp_sleep_get_wakeup_cause()) {
		case ESP_SLEEP_WAKEUP_UNDEFINED: cause = WAKE_POWER_ON; break;
		case ESP_SLEEP_WAKEUP_TIMER: cause = WAKE_TIMER; break;
		case ESP_SLEEP_WAKEUP_EXT0: cause = WAKE_EXT0; break;
		case ESP_SLEEP_WAKEUP_EXT1: cause = WAKE_EXT1; break;
		case ESP_SLEEP_WAKEUP_GPIO: cause = WAKE_EXT1; break;
		default: cause = WAKE_OTHER; break;
	}
	xsmcSetInteger(xsResult, cause);
}

/* sleep(ms, pin, level, mask, anyHigh): arms the wake sources asked for, then sleeps; does not return. */
void xs_deepsleep_sleep(xsMachine *the)
{
	double ms = xsmcToNumber(xsArg(0));
	xsIntegerValue pin = xsmcToInteger(xsArg(1));
	xsIntegerValue level = xsmcToInteger(xsArg(2));
	double mask = xsmcToNumber(xsArg(3));
	xsIntegerValue anyHigh = xsmcToInteger(xsArg(4));

	if (!(ms >= 0) || (ms > 1.0e12) || !(mask >= 0) || (mask > 9007199254740991.0))
		xsRangeError("invalid wake");
	if (ms > 0)
		esp_sleep_enable_timer_wakeup((uint64_t)ms * 1000u);
#if SOC_PM_SUPPORT_EXT0_WAKEUP
	if (pin >= 0) {
		if (ESP_OK != esp_sleep_enable_ext0_wakeup((gpio_num_t)pin, level ? 1 : 0))
			xsRangeError("wakePin is not an RTC GPIO");
		/* A button to ground needs the pull-up through the sleep, one to 3V3 the pull-down. */
		if (level) { rtc_gpio_pullup_dis((gpio_num_t)pin); rtc_gpio_pulldown_en((gpio_num_t)pin); }
		else { rtc_gpio_pulldown_dis((gpio_num_t)pin); rtc_gpio_pullup_en((gpio_num_t)pin); }
	}
#elif SOC_GPIO_SUPPORT_DEEPSLEEP_WAKEUP
	if (pin >= 0) {
		if (ESP_OK != esp_deep_sleep_enable_gpio_wakeup(1ULL << pin, level ? ESP_GPIO_WAKEUP_GPIO_HIGH : ESP_GPIO_WAKEUP_GPIO_LOW))
			xsRangeError("wakePin cannot wake this chip from deep sleep");
	}
#else
	if (pin >= 0)
		xsRangeError("this chip has no GPIO wake from deep sleep");
#endif
#if SOC_PM_SUPPORT_EXT1_WAKEUP
	if (mask > 0) {
		/* Mode 1 is "any high" on every chip; 0 is "all low" on the ESP32 and "any low" on later chips (its enum name differs). */
		if (ESP_OK != esp_sleep_enable_ext1_wakeup((uint64_t)mask, anyHigh ? ESP_EXT1_WAKEUP_ANY_HIGH : (esp_sleep_ext1_wakeup_mode_t)0))
			xsRangeError("invalid ext1 mask");
	}
#else
	(void)anyHigh;
	if (mask > 0)
		xsRangeError("this chip has no ext1 wake");
#endif
	esp_deep_sleep_start();
}
