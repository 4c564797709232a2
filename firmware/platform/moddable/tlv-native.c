/*
 * XS host functions serving the TLV codec on the device: the AssemblyScript
 * codec compiled to C by wasm2c (build/out/c/tlv.c, `npm run build:c`) with
 * the static runtime of wasm-rt-static.c.
 *
 * The codec's linear memory is one static C buffer that never moves, so
 * tlv_memory() hands XS a host buffer over it (the JS side makes typed-array
 * views once, as it does over a wasm Memory on Node). No pointer into XS
 * memory is kept: arguments are plain integers.
 *
 * A wasm trap (out-of-bounds access, unreachable) cannot escape into XS: it
 * unwinds to the setjmp here and becomes the negative result TLV_TRAP.
 */
#include <stddef.h>   /* xs.h uses size_t; the device build gets it via xsPlatform.h */
#include "xsmc.h"
#include "wasm-rt-static.h"
#include "tlv-api.h"

#ifndef xsID_byteLength
#define xsID_byteLength xsID("byteLength")
#endif

/* Outside the codec's own negative codes (-1..-9): formats/tlv answers 4.00. */
#define TLV_TRAP (-100)

static tlv_instance_t tlv_instance;
static int tlv_ready = 0;

/* Instantiates on first use; returns 0, or -1 if instantiation trapped. */
static int tlv_start(void)
{
	if (tlv_ready)
		return 0;
	TLV_RT_PREPARE();
	if (setjmp(tlv_rt_jmp_buf) != 0)
		return -1;
	wasm_rt_init();
	TLV_INIT_MODULE();
	TLV_INSTANTIATE(&tlv_instance);
	tlv_ready = 1;
	return 0;
}

/*
 * Start the codec and arm the trap target in the calling host function; a
 * trap makes that host function return TLV_TRAP.
 */
#define TLV_GUARD()                                  \
	if (tlv_start() != 0) {                          \
		xsmcSetInteger(xsResult, TLV_TRAP);          \
		return;                                      \
	}                                                \
	TLV_RT_PREPARE();                                \
	if (setjmp(tlv_rt_jmp_buf) != 0) {               \
		xsmcSetInteger(xsResult, TLV_TRAP);          \
		return;                                      \
	}

void xs_tlv_memory(xsMachine *the)
{
	wasm_rt_memory_t *memory;
	if (tlv_start() != 0)
		xsUnknownError("TLV codec failed to start");
	memory = TLV_MEMORY(&tlv_instance);
	xsmcVars(1);
	xsResult = xsNewHostObject(NULL);
	xsmcSetHostBuffer(xsResult, memory->data, (xsIntegerValue)memory->size);
	xsmcSetInteger(xsVar(0), (xsIntegerValue)memory->size);
	xsmcDefine(xsResult, xsID_byteLength, xsVar(0), xsDontDelete | xsDontSet);
}

/* Exports without arguments: region addresses, bounds, the last error index. */
#define TLV_GETTER(js_name, export_name)                                        \
	void js_name(xsMachine *the)                                                \
	{                                                                           \
		TLV_GUARD();                                                            \
		xsmcSetInteger(xsResult, (xsIntegerValue)TLV_CALL(export_name, &tlv_instance)); \
	}

TLV_GETTER(xs_tlv_in_ptr, inPtr)
TLV_GETTER(xs_tlv_table_ptr, tablePtr)
TLV_GETTER(xs_tlv_out_ptr, outPtr)
TLV_GETTER(xs_tlv_max_payload, maxPayload)
TLV_GETTER(xs_tlv_max_entries, maxEntries)
TLV_GETTER(xs_tlv_error_index, errorIndex)

void xs_tlv_decode(xsMachine *the)
{
	uint32_t len = (uint32_t)xsmcToInteger(xsArg(0));
	uint32_t top_kinds = (uint32_t)xsmcToInteger(xsArg(1));
	TLV_GUARD();
	xsmcSetInteger(xsResult, (xsIntegerValue)TLV_CALL(decode, &tlv_instance, len, top_kinds));
}

void xs_tlv_decode_values(xsMachine *the)
{
	uint32_t count = (uint32_t)xsmcToInteger(xsArg(0));
	TLV_GUARD();
	xsmcSetInteger(xsResult, (xsIntegerValue)TLV_CALL(decodeValues, &tlv_instance, count));
}

void xs_tlv_encode(xsMachine *the)
{
	uint32_t count = (uint32_t)xsmcToInteger(xsArg(0));
	uint32_t data_limit = (uint32_t)xsmcToInteger(xsArg(1));
	TLV_GUARD();
	xsmcSetInteger(xsResult, (xsIntegerValue)TLV_CALL(encode, &tlv_instance, count, data_limit));
}
