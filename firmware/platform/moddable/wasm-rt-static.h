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

/* The wasm_rt_trap_t of the last trap. */
extern wasm_rt_trap_t tlv_rt_last_trap;

/*
 * Before calling into the codec, in the calling function (setjmp rules):
 *   TLV_RT_PREPARE();
 *   if (setjmp(tlv_rt_jmp_buf) != 0) { trapped: see tlv_rt_last_trap }
 *   ... call the codec ...
 */
#define TLV_RT_PREPARE() \
  (TLV_RT_SAVE_STACK_DEPTH(), wasm_rt_set_unwind_target(&tlv_rt_jmp_buf))

/* Bytes of the static linear-memory buffer. */
uint32_t tlv_rt_memory_capacity(void);

#endif
