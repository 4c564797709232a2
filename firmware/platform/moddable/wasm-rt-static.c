/*
 * A minimal wasm2c runtime for the TLV codec on the device: linear memory is
 * one static C buffer (no malloc, no mmap guard pages, no signal handler),
 * traps unwind with longjmp to the binding's setjmp (TLV_RT_PREPARE), and there is no
 * memory growth, no tables and no exceptions beyond what wasm-rt.h requires.
 *
 * Build the generated code and this file with WASM_RT_MEMCHECK_SIGNAL_HANDLER=0
 * so every load/store is bounds-checked against `size` (the device has no MMU
 * guard pages, and the host build must behave the same).
 *
 * The buffer is smaller than the module's declared page (64 KiB): it is
 * TLV_RT_MEMORY_BYTES, which build/build-c.ts writes into tlv-api.h as the end
 * of the codec's static regions (__heap_base, rounded up to 16). The codec
 * touches nothing above that, and any access beyond the buffer traps
 * (WASM_RT_TRAP_OOB) instead of reading or corrupting other RAM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "wasm-rt-static.h"
#include "tlv-api.h"   /* TLV_RT_MEMORY_BYTES */

#ifndef TLV_RT_MEMORY_BYTES
#error "TLV_RT_MEMORY_BYTES missing: regenerate build/out/c with npm run build:c"
#endif

static uint8_t tlv_rt_memory[TLV_RT_MEMORY_BYTES] __attribute__((aligned(8)));
static bool tlv_rt_memory_taken = false;
static bool tlv_rt_initialized = false;

jmp_buf tlv_rt_jmp_buf;
wasm_rt_trap_t tlv_rt_last_trap = WASM_RT_TRAP_NONE;
static WASM_RT_UNWIND_TARGET* tlv_rt_unwind_target = NULL;

#if WASM_RT_USE_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth = 0;
uint32_t tlv_rt_saved_call_stack_depth = 0;
#endif

void wasm_rt_init(void) { tlv_rt_initialized = true; }

bool wasm_rt_is_initialized(void) { return tlv_rt_initialized; }

void wasm_rt_free(void) { tlv_rt_initialized = false; }

void wasm_rt_trap(wasm_rt_trap_t code) {
#if WASM_RT_USE_STACK_DEPTH_COUNT
  wasm_rt_call_stack_depth = tlv_rt_saved_call_stack_depth;
#endif
  tlv_rt_last_trap = code;
  /* TLV_RT_PREPARE() always sets a target before the codec runs. */
  longjmp(*tlv_rt_unwind_target, 1);
}

const char* wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE: return "no error";
    case WASM_RT_TRAP_OOB: return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable";
    case WASM_RT_TRAP_CALL_INDIRECT: return "invalid call_indirect";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    default: return "trap";
  }
}

/* Only called by modules with call_indirect; the codec has one signature space. */
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  (void)params;
  (void)results;
  return 1;
}

WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) { return tlv_rt_unwind_target; }

void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET* target) { tlv_rt_unwind_target = target; }

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  uint64_t want = (uint64_t)initial_pages * 65536u;
  (void)max_pages;
  /* One module, one memory: a second instance would alias the buffer. */
  if (tlv_rt_memory_taken) wasm_rt_trap(WASM_RT_TRAP_OOB);
  tlv_rt_memory_taken = true;
  memset(tlv_rt_memory, 0, sizeof(tlv_rt_memory));
  memory->data = tlv_rt_memory;
  memory->pages = initial_pages;
  memory->max_pages = initial_pages;
  memory->size = want < TLV_RT_MEMORY_BYTES ? (uint32_t)want : TLV_RT_MEMORY_BYTES;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t pages) {
  /* Fixed buffers, no growth: memory.grow reports failure (-1) as wasm defines. */
  (void)memory;
  (void)pages;
  return UINT32_MAX;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  memory->data = NULL;
  memory->size = 0;
  tlv_rt_memory_taken = false;
}

uint32_t tlv_rt_memory_capacity(void) { return TLV_RT_MEMORY_BYTES; }
