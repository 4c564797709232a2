/*
 * Shared pieces of the two mbedTLS DTLS peers (dtls-client.c, dtls-server.c)
 * of the interop tests: a line-oriented console on stdout, hex, the cipher
 * suite names the tests use, and a DRBG seeded from the system's entropy.
 * Everything else is mbedTLS 2.28's defaults (Debian's libmbedtls-dev), as a
 * C LwM2M stack such as Anjay would have them.
 */
#ifndef PEER_COMMON_H
#define PEER_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>

#define PEER_MAX_KEY 64
#define PEER_MAX_IDENTITY 128
#define PEER_MAX_DATAGRAM 2048

/* One line on stdout, flushed: the tests wait for lines. */
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static void say_error(const char *what, int ret)
{
	char text[160];
	mbedtls_strerror(ret, text, sizeof text);
	say("error %s -0x%04x %s", what, (unsigned)-ret, text);
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Decodes hex text into out; returns the byte count, or -1 if it is not whole hex pairs or does not fit. */
static int from_hex(const char *text, unsigned char *out, size_t room)
{
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) n--;
	if (n % 2 != 0 || n / 2 > room) return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
		if (hi < 0 || lo < 0) return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

/* Prints `prefix` then the bytes in hex, as one line. */
static void say_hex(const char *prefix, const unsigned char *data, size_t n)
{
	fputs(prefix, stdout);
	for (size_t i = 0; i < n; i++) fprintf(stdout, "%02x", data[i]);
	fputc('\n', stdout);
	fflush(stdout);
}

/* "ccm8", "cbc" or "any" (mbedTLS's own default list). */
static int suite_list(const char *name, int list[2])
{
	if (strcmp(name, "ccm8") == 0) list[0] = MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8;
	else if (strcmp(name, "cbc") == 0) list[0] = MBEDTLS_TLS_PSK_WITH_AES_128_CBC_SHA256;
	else if (strcmp(name, "any") == 0) return 0;
	else return -1;
	list[1] = 0;
	return 1;
}

static int seed_drbg(mbedtls_entropy_context *entropy, mbedtls_ctr_drbg_context *drbg, const char *who)
{
	mbedtls_entropy_init(entropy);
	mbedtls_ctr_drbg_init(drbg);
	int ret = mbedtls_ctr_drbg_seed(drbg, mbedtls_entropy_func, entropy, (const unsigned char *)who, strlen(who));
	if (ret != 0) say_error("ctr_drbg_seed", ret);
	return ret;
}

#endif
