import type {LlamaContext} from "node-llama-cpp";
import {isLockActive, waitForLockRelease} from "lifecycle-utils";

/**
 * Holds tokens that sequences queue while the context is locked (a decode in progress, or a KV
 * cache being cleared) until the lock is released, then queues them all together.
 *
 * Why: node-llama-cpp's dispatch loop keeps the context lock for as long as new tokens arrive
 * during its decodes. Sequences that sample at slightly different times each arrive during another
 * one's decode, so the loop ran without pause while any sequence generated: a sequence that starts
 * a new conversation, which must clear its KV cache under that lock, waited until nearly all others
 * had finished (requests to `ditto serve` a few ms apart ran in waves), and each step was cut into
 * several small decodes. Held back, the loop ends after every step, a waiting clear runs between two
 * steps, and the held tokens join the next step together (see lockstepDispatch).
 *
 * Relies on node-llama-cpp 3.21.1 internals (pinned): the context's `_decodeTokens` and its
 * `[context, "context"]` lock from lifecycle-utils (the same module instance, pinned to the
 * library's version). Returns false, changing nothing, if `_decodeTokens` is missing.
 */
export function holdDecodesWhileLocked(context: LlamaContext): boolean {
    const ctx = context as unknown as {_decodeTokens?: (...args: unknown[]) => Promise<unknown>};
    const original = ctx._decodeTokens;
    if (typeof original !== "function") return false;
    const held: (() => void)[] = [];
    let waiting = false;
    const releaseWhenUnlocked = () => {
        if (waiting) return;
        waiting = true;
        void waitForLockRelease([context, "context"]).then(() => {
            waiting = false;
            for (const queue of held.splice(0)) queue();
        });
    };
    ctx._decodeTokens = (...args: unknown[]) => {
        if (!isLockActive([context, "context"])) return original.apply(context, args);
        return new Promise((resolve, reject) => {
            held.push(() => { original.apply(context, args).then(resolve, reject); });
            releaseWhenUnlocked();
        });
    };
    return true;
}
