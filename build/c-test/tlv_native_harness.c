/*
 * Drives the real XS binding (firmware/platform/moddable/tlv-native.c) over the
 * wasm2c codec and the static runtime on the host, with just enough of the XS
 * C API (argument/result slots, a host buffer) to call its host functions.
 * It checks what the device relies on: the linear memory is exactly
 * TLV_RT_MEMORY_BYTES, the last byte of it is usable, and a codec access at or
 * past its end traps, which the binding answers with -100 (TLV_TRAP) before
 * anything is written, after which the codec keeps working.
 *
 * Prints one "name value" line per check; host-tests/native/native.test.ts
 * asserts them. The out-of-bounds access comes from decodeValues, which takes
 * value offsets from the entry table (the only caller-controlled address).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsmc.h"
#include "wasm-rt-static.h"
#include "tlv-api.h"

/* ---- the few XS entry points tlv-native.c uses ---- */

static xsSlot slots[64];
static struct xsMachineRecord machine;
static void *host_data;
static xsIntegerValue host_size = -1;

void fxInteger(xsMachine *the, xsSlot *slot, xsIntegerValue value)
{
	(void)the;
	slot->data[0] = (void *)(intptr_t)value;
}

xsIntegerValue fxToInteger(xsMachine *the, xsSlot *slot)
{
	(void)the;
	return (xsIntegerValue)(intptr_t)slot->data[0];
}

xsSlot *fxNewHostObject(xsMachine *the, xsDestructor destructor)
{
	(void)destructor;
	--the->stack;
	memset(the->stack, 0, sizeof(xsSlot));
	return the->stack;
}

void fxSetHostBuffer(xsMachine *the, xsSlot *slot, void *data, xsIntegerValue size)
{
	(void)the;
	(void)slot;
	host_data = data;
	host_size = size;
}

xsIntegerValue fxIncrementalVars(xsMachine *the, xsIntegerValue count)
{
	(void)the;
	return count;
}

void _xsDefine(xsMachine *the, xsSlot *target, xsIdentifier id, xsSlot *slot, xsAttribute attributes)
{
	(void)the;
	(void)target;
	(void)id;
	(void)slot;
	(void)attributes;
}

xsIdentifier fxID(xsMachine *the, const char *name)
{
	(void)the;
	(void)name;
	return 1;
}

void fxThrowMessage(xsMachine *the, xsStringValue path, xsIntegerValue line, xsIntegerValue error, xsStringValue message, ...)
{
	(void)the;
	(void)path;
	(void)line;
	(void)error;
	printf("throw %s\n", message);
	exit(3);
}

/* ---- host functions of tlv-native.c ---- */

void xs_tlv_memory(xsMachine *the);
void xs_tlv_in_ptr(xsMachine *the);
void xs_tlv_table_ptr(xsMachine *the);
void xs_tlv_decode(xsMachine *the);
void xs_tlv_decode_values(xsMachine *the);

static xsMachine *the = &machine;

/* Calls a host function with integer arguments; returns its integer result. */
static int32_t call(void (*fn)(xsMachine *), int argc, int32_t a0, int32_t a1)
{
	machine.frame = &slots[32];   /* xsResult = frame[1], xsArg(i) = frame[-2 - i] */
	machine.scope = &slots[48];   /* xsVar(i) = scope[-1 - i] */
	machine.stack = &slots[63];
	if (argc > 0) fxInteger(the, &xsArg(0), a0);
	if (argc > 1) fxInteger(the, &xsArg(1), a1);
	fxInteger(the, &xsResult, 0x7eadbeef);
	fn(the);
	return (int32_t)fxToInteger(the, &xsResult);
}

#define ENTRY_BYTES 32

static void put32(uint8_t *p, int32_t v) { memcpy(p, &v, 4); }   /* little endian, like wasm */

int main(void)
{
	uint8_t *mem;
	uint32_t in, table, off;
	uint8_t *e;
	static const uint8_t server[] = { 0xC1, 0x00, 0x01, 0xC4, 0x01, 0x00, 0x01, 0x51, 0x80 };
	uint8_t before[ENTRY_BYTES];
	int64_t v;

	call(xs_tlv_memory, 0, 0, 0);
	mem = host_data;
	printf("memory %ld\n", (long)host_size);
	printf("capacity %lu\n", (unsigned long)tlv_rt_memory_capacity());
	in = (uint32_t)call(xs_tlv_in_ptr, 0, 0, 0);
	table = (uint32_t)call(xs_tlv_table_ptr, 0, 0, 0);
	e = mem + table;

	memcpy(mem + in, server, sizeof server);
	printf("decode %d\n", call(xs_tlv_decode, 2, (int32_t)sizeof server, 1 << 3));

	/* An 8-byte integer ending exactly at the last byte of the buffer: allowed. */
	off = (uint32_t)host_size - 8 - in;
	memcpy(mem + host_size - 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	put32(e + 0, 3);          /* kind: resource */
	put32(e + 12, (int32_t)off);
	put32(e + 16, 8);         /* length */
	put32(e + 20, 2);         /* type: integer */
	printf("last_bytes %d\n", call(xs_tlv_decode_values, 1, 1, 0));
	memcpy(&v, e + 24, 8);
	printf("last_value %llx\n", (unsigned long long)v);

	/* One byte past the end, then far past it: traps, the entry stays as it was. */
	memset(e + 24, 0xA5, 8);
	put32(e + 12, (int32_t)off + 1);
	memcpy(before, e, ENTRY_BYTES);
	printf("one_past %d\n", call(xs_tlv_decode_values, 1, 1, 0));
	printf("one_past_trap %s\n", wasm_rt_strerror(tlv_rt_last_trap));
	printf("one_past_entry_unchanged %d\n", memcmp(before, e, ENTRY_BYTES) == 0);
	put32(e + 12, 0x40000000);
	printf("far_past %d\n", call(xs_tlv_decode_values, 1, 1, 0));

	/* The codec still works after the traps. */
	memcpy(mem + in, server, sizeof server);
	printf("decode_after %d\n", call(xs_tlv_decode, 2, (int32_t)sizeof server, 1 << 3));
	return 0;
}
