/**
 * MB of layer activations the engine keeps from the forward for the backward unless told otherwise:
 * a 0.5B model at 512 tokens keeps all 24 layers in ~0.9 GB and skips the recompute; deeper or
 * longer runs recompute the rest (the memory plan lowers it when it does not fit).
 */
export const defaultActivationMemoryMb = 1024;
