import type {LlamaContext, BatchItem, PrioritizedBatchItem} from "node-llama-cpp";

/**
 * A batch prioritization that puts pending items in sequence-id order.
 *
 * Why: llama.cpp keeps one KV stream per sequence and only groups sequences with consecutive ids
 * (in batch order) into one micro-batch; node-llama-cpp fills the batch in arrival order, so a
 * decode step of 32 sequences is cut into a dozen 1-4 token pieces and the weights are re-read for
 * each. In id order the step is one piece (2-2.4x throughput, bench/generate.ts).
 *
 * The public BatchItem carries no sequence id, so the id is read from the context's queue, whose
 * order is the order of `items` (node-llama-cpp 3.21.1, pinned). If that internal is ever missing
 * or out of step, the items keep their given order: slower, never wrong.
 */
export function sequenceOrderedStrategy(getContext: () => LlamaContext | undefined) {
    return ({items, size}: {items: readonly BatchItem[], size: number}): PrioritizedBatchItem[] => {
        const queue = (getContext() as unknown as {_queuedDecodes?: {sequenceId: number, tokens: readonly unknown[]}[]} | undefined)?._queuedDecodes;
        let order = items.map((item, i) => ({item, key: i}));
        if (queue && queue.length === items.length && queue.every((q, i) => q.tokens === items[i]!.tokens))
            order = items.map((item, i) => ({item, key: queue[i]!.sequenceId}));
        order.sort((a, b) => b.item.evaluationPriority - a.item.evaluationPriority || a.key - b.key);
        const out: PrioritizedBatchItem[] = [];
        let left = size;
        for (const {item} of order) {
            if (left <= 0) break;
            const take = Math.min(item.tokens.length, left);
            out.push({item, processAmount: take});
            left -= take;
        }
        return out;
    };
}
