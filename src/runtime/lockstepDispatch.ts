import type {LlamaContext} from "node-llama-cpp";

/** How long a decode waits for the other generating sequences' tokens before it goes without them. */
export const lockstepMaxWaitMs = 20;

/**
 * A batch dispatch schedule that starts a decode once every sequence that is generating has queued
 * its next tokens (or after `maxWaitMs`), instead of at the next event-loop turn.
 *
 * Why: node-llama-cpp decodes whatever is queued at the next turn and keeps its context lock for as
 * long as new tokens arrive during a decode. Sequences finish sampling at slightly different times,
 * so with the default schedule a step is cut into several decodes (the weights read once per piece)
 * and the lock is held from one piece to the next for as long as any sequence generates. A
 * sequence that starts a new conversation must clear its KV cache under that lock, so it waited
 * until nearly all others had finished: requests arriving a few ms apart (an HTTP server) or a
 * record starting while others run (the generation stages) ran in waves. In lockstep a step is
 * one decode, and the queue is empty when it ends, so the lock is free between steps.
 *
 * The number of queued sequences is read from the context's internal set (node-llama-cpp 3.21.1,
 * pinned); if it is missing the decode is dispatched at once: slower, never wrong.
 */
export function lockstepDispatch(getContext: () => LlamaContext | undefined, generating: () => number, maxWaitMs = lockstepMaxWaitMs) {
    return (dispatch: () => void): void => {
        const started = performance.now();
        const check = () => {
            const queued = (getContext() as unknown as {_queuedDecodeSequenceIds?: Set<number>} | undefined)?._queuedDecodeSequenceIds?.size;
            if (queued === undefined || queued >= generating() || performance.now() - started >= maxWaitMs) dispatch();
            else setImmediate(check);
        };
        setImmediate(check);
    };
}
