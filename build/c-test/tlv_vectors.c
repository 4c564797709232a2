/*
 * Runs a script of TLV codec calls through the wasm2c build on the host and
 * prints the results, so host-tests/native/native.test.ts can compare them
 * byte for byte with the same script run through the wasm in Node.
 *
 * Script (stdin), one call per line, numbers decimal, bytes hex:
 *   D <topKinds> <payload>           decode        -> D <ret> <errorIndex> <table bytes of the entries>
 *   N <topKinds> <len>               decode(len) of whatever IN holds, to reach the codec's own
 *                                    length check past maxPayload -> as D
 *   V <count> <type,type,...|->      set E_TYPE of entries 0..count-1, decodeValues
 *                                                  -> V <ret> <errorIndex> <table bytes of count entries>
 *                                    (count above maxEntries: the table's maxEntries entries)
 *   E <count> <table bytes> <data>   load commands and data, encode
 *                                                  -> E <ret> <encoded bytes>
 * An empty hex field is written as "-". A trap prints "T <reason>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm-rt-static.h"
#include "tlv-api.h"

#define ENTRY_BYTES 32
#define LINE_MAX_BYTES (1 << 20)

static tlv_instance_t inst;
static char line[LINE_MAX_BYTES];

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Decodes hex at *p (up to a space or the end) into dst; returns the byte count or -1. */
static long read_hex(char **p, uint8_t *dst, uint32_t cap)
{
	char *s = *p;
	volatile long n = 0;
	while (*s == ' ') s++;
	if (*s == '-') {
		*p = s + 1;
		return 0;
	}
	while (s[0] && s[0] != ' ' && s[0] != '\n') {
		int hi = hexval(s[0]), lo = hexval(s[1]);
		if (hi < 0 || lo < 0 || (uint32_t)n >= cap) return -1;
		dst[n++] = (uint8_t)(hi * 16 + lo);
		s += 2;
	}
	*p = s;
	return n;
}

static void print_hex(const uint8_t *b, uint32_t n)
{
	uint32_t i;
	if (n == 0) {
		fputs("-", stdout);
		return;
	}
	for (i = 0; i < n; i++) printf("%02x", b[i]);
}

static uint8_t *mem(void) { return TLV_MEMORY(&inst)->data; }

static int run_line(char *p)
{
	char op = *p++;
	uint32_t table = TLV_CALL(tablePtr, &inst);
	uint32_t max_entries = TLV_CALL(maxEntries, &inst);
	uint32_t max_payload = TLV_CALL(maxPayload, &inst);
	if (op == 'D') {
		uint32_t top = (uint32_t)strtoul(p, &p, 10);
		long len = read_hex(&p, mem() + TLV_CALL(inPtr, &inst), max_payload);
		int32_t ret;
		if (len < 0) return -1;
		ret = (int32_t)TLV_CALL(decode, &inst, (uint32_t)len, top);
		printf("D %d %d ", ret, (int32_t)TLV_CALL(errorIndex, &inst));
		print_hex(mem() + table, ret > 0 ? (uint32_t)ret * ENTRY_BYTES : 0);
	} else if (op == 'N') {
		uint32_t top = (uint32_t)strtoul(p, &p, 10);
		uint32_t len = (uint32_t)strtoul(p, &p, 10);
		int32_t ret = (int32_t)TLV_CALL(decode, &inst, len, top);
		printf("D %d %d ", ret, (int32_t)TLV_CALL(errorIndex, &inst));
		print_hex(mem() + table, ret > 0 ? (uint32_t)ret * ENTRY_BYTES : 0);
	} else if (op == 'V') {
		uint32_t count = (uint32_t)strtoul(p, &p, 10), i;
		uint32_t shown = count < max_entries ? count : max_entries;
		int32_t ret;
		while (*p == ' ') p++;
		if (*p == '-') p++;
		for (i = 0; i < shown && *p && *p != '\n'; i++) {
			int32_t type = (int32_t)strtol(p, &p, 10);
			memcpy(mem() + table + i * ENTRY_BYTES + 5 * 4, &type, 4);   /* E_TYPE, little endian like wasm */
			if (*p == ',') p++;
		}
		ret = (int32_t)TLV_CALL(decodeValues, &inst, count);
		printf("V %d %d ", ret, (int32_t)TLV_CALL(errorIndex, &inst));
		print_hex(mem() + table, shown * ENTRY_BYTES);
	} else if (op == 'E') {
		uint32_t count = (uint32_t)strtoul(p, &p, 10);
		int32_t ret;
		uint32_t end = TLV_CALL(outPtr, &inst) + max_payload;
		if (read_hex(&p, mem() + table, max_entries * ENTRY_BYTES) < 0) return -1;
		if (read_hex(&p, mem() + TLV_CALL(inPtr, &inst), max_payload) < 0) return -1;
		ret = (int32_t)TLV_CALL(encode, &inst, count, max_payload);
		printf("E %d ", ret);
		print_hex(mem() + end - (ret > 0 ? (uint32_t)ret : 0), ret > 0 ? (uint32_t)ret : 0);
	} else {
		return -1;
	}
	putchar('\n');
	return 0;
}

int main(void)
{
	volatile long n = 0;
	TLV_RT_PREPARE();
	if (setjmp(tlv_rt_jmp_buf) != 0) {
		printf("T %s\n", wasm_rt_strerror(tlv_rt_last_trap));
		return 2;
	}
	wasm_rt_init();
	TLV_INIT_MODULE();
	TLV_INSTANTIATE(&inst);
	while (fgets(line, sizeof line, stdin)) {
		n++;
		if (line[0] == '\n' || line[0] == 0) continue;
		/* Re-arm per call: a trap reports and continues with the next line. */
		TLV_RT_PREPARE();
		if (setjmp(tlv_rt_jmp_buf) != 0) {
			printf("T %s\n", wasm_rt_strerror(tlv_rt_last_trap));
			continue;
		}
		if (run_line(line) != 0) {
			fprintf(stderr, "bad script line %ld\n", n);
			return 1;
		}
	}
	return 0;
}
