// The host emulation of CUDA (the build with -DDITTO_CUDA_EMU; include Cuda.h, not this file).
// Blocks run on a small pool of OS threads; each CUDA thread is a fiber with its own stack
// (64 KiB, DITTO_EMU_STACK_KB to change); __syncthreads is a barrier of the block's fibers,
// which resume in a seeded shuffled order (DITTO_EMU_SEED); shared memory and fresh cudaMalloc
// memory are filled with NaN bytes (0xff); warp shuffles, votes and WMMA are warp-collective;
// cp.async copies at cpAsyncWait. Deadlocks, divergent barriers, partial-warp masks, misaligned
// WMMA or cp.async pointers and static shared memory nvcc would reject abort with a message
// naming the kernel. Under AddressSanitizer, device buffers have their exact size and unused
// shared memory is poisoned, so out-of-bounds accesses are reported. Only names CUDA itself
// offers are provided, so code that compiles here compiles under nvcc.
#pragma once
#include "EmuDevice.h"
#include "EmuRuntime.h"
#include "EmuTypes.h"
#include "EmuWmma.h"
