/*
 * The part of ESP-IDF's public API that deep-sleep.c calls, declared from the
 * API reference (esp_sleep.h, esp_attr.h, soc/soc_caps.h for the ESP32,
 * driver/rtc_io.h), only so the file compiles and is checked where no ESP-IDF
 * is installed (host-tests/native: gcc and xtensa-lx106-elf-gcc with
 * -DXS_LWM2M_IDF_DECLS). A real board build never sees this file: it includes
 * ESP-IDF's own headers.
 */
#ifndef XS_LWM2M_ESP_IDF_SLEEP_H
#define XS_LWM2M_ESP_IDF_SLEEP_H

#include <stdint.h>

typedef int esp_err_t;
#ifndef ESP_OK
#define ESP_OK 0
#endif

/* esp_attr.h: the linker puts it in RTC slow memory; a plain static here. */
#define RTC_DATA_ATTR

/* soc/soc_caps.h of the ESP32 (and the ESP32-S3): ext0 and ext1, no GPIO deep-sleep wake. */
#ifndef SOC_PM_SUPPORT_EXT0_WAKEUP
#define SOC_PM_SUPPORT_EXT0_WAKEUP 1
#endif
#ifndef SOC_PM_SUPPORT_EXT1_WAKEUP
#define SOC_PM_SUPPORT_EXT1_WAKEUP 1
#endif

typedef int gpio_num_t;

typedef enum {
	ESP_SLEEP_WAKEUP_UNDEFINED = 0,
	ESP_SLEEP_WAKEUP_ALL,
	ESP_SLEEP_WAKEUP_EXT0,
	ESP_SLEEP_WAKEUP_EXT1,
	ESP_SLEEP_WAKEUP_TIMER,
	ESP_SLEEP_WAKEUP_TOUCHPAD,
	ESP_SLEEP_WAKEUP_ULP,
	ESP_SLEEP_WAKEUP_GPIO,
	ESP_SLEEP_WAKEUP_UART,
} esp_sleep_source_t;

typedef enum {
	ESP_EXT1_WAKEUP_ALL_LOW = 0,
	ESP_EXT1_WAKEUP_ANY_HIGH = 1,
} esp_sleep_ext1_wakeup_mode_t;

typedef enum {
	ESP_GPIO_WAKEUP_GPIO_LOW = 0,
	ESP_GPIO_WAKEUP_GPIO_HIGH = 1,
} esp_deepsleep_gpio_wake_up_mode_t;

esp_err_t esp_sleep_enable_timer_wakeup(uint64_t time_in_us);
esp_err_t esp_sleep_enable_ext0_wakeup(gpio_num_t gpio_num, int level);
esp_err_t esp_sleep_enable_ext1_wakeup(uint64_t io_mask, esp_sleep_ext1_wakeup_mode_t level_mode);
esp_err_t esp_deep_sleep_enable_gpio_wakeup(uint64_t gpio_pin_mask, esp_deepsleep_gpio_wake_up_mode_t mode);
esp_sleep_source_t esp_sleep_get_wakeup_cause(void);
void esp_deep_sleep_start(void) __attribute__((noreturn));

esp_err_t rtc_gpio_pullup_en(gpio_num_t gpio_num);
esp_err_t rtc_gpio_pullup_dis(gpio_num_t gpio_num);
esp_err_t rtc_gpio_pulldown_en(gpio_num_t gpio_num);
esp_err_t rtc_gpio_pulldown_dis(gpio_num_t gpio_num);

#endif
