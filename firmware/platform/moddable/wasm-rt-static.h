/* Static wasm2c runtime for the TLV codec (see wasm-rt-static.c). */
#ifndef WASM_RT_STATIC_H_
#define WASM_RT_STATIC_H_

#ifndef WASM_RT_MEMCHECK_SIGNAL_HANDLER
#define WASM_RT_MEMCHECK_SIGNAL_HANDLER 0
#endif

#include <setjmp.h>
#include "wasm-rt.h"

extern jmp_buf tlv_rt_jmp_buf;

#if WASM_RT_USE_STACK_DEPTH_COUNT
extern uint32_t tlv_rt_saved_call_stack_depth;
#define TLV_RT_SAVE_STACK_DEPTH() (tlv_rt_saved_call_stack_depth = wasm_rt_call_stack_depth)
#else
#define TLV_RT_SAVE_STACK_DEPTH() ((void)0)
#endif

/*
 * Use as `if (tlv_rt_try() != 0) { trapped }` right before calling into the
 * codec, in the same C function (setjmp rules). Returns the wasm_rt_trap_t.
 */
#define tlv_rt_try() \
  (TLV_RT_SAVE_STACK_DEPTH(), wasm_rt_set_unwind_target(&tlv_rt_jmp_buf), setjmp(tlv_rt_jmp_buf))

/* Bytes of the static linear-memory buffer. */
uint32_t tlv_rt_memory_capacity(void);

#endif
