import type {LlamaModel, Token} from "node-llama-cpp";
import {openLlama} from "../../src/runtime/openLlama.js";
import {loadModel} from "../../src/runtime/loadModel.js";

/** Loads a model on the CPU (tests compare exact greedy outputs, so no GPU nondeterminism). */
export async function loadCpuModel(path: string): Promise<LlamaModel> {
    return loadModel(await openLlama("cpu"), path);
}

/**
 * Greedy continuation and the next-token distribution after `prompt`, with optional adapter.
 * Two threads: the library default of 4 on these 2-core machines is ~200x slower.
 */
export async function runGreedy(model: LlamaModel, prompt: Token[], options: {adapter?: string, tokens?: number} = {}) {
    const context = await model.createContext({
        contextSize: 256, threads: 2,
        ...(options.adapter ? {lora: {adapters: [{filePath: options.adapter, scale: 1}]}} : {})
    });
    try {
        const sequence = context.getSequence();
        const head = prompt.slice(0, -1).map((t) => t as Token);
        const out = await sequence.controlledEvaluate([...head, [prompt[prompt.length - 1]!, {generateNext: {probabilities: true}}]]);
        const probs = out[out.length - 1]!.next!.probabilities!;
        await sequence.clearHistory();
        const generated: Token[] = [];
        for await (const token of sequence.evaluate(prompt)) {
            generated.push(token);
            if (generated.length >= (options.tokens ?? 8)) break;
        }
        return {generated, probs};
    } finally {
        await context.dispose();
    }
}

/** Largest absolute difference between two next-token distributions. */
export function maxProbDiff(a: Map<Token, number>, b: Map<Token, number>): number {
    let max = 0;
    for (const [t, p] of a) max = Math.max(max, Math.abs(p - (b.get(t) ?? 0)));
    for (const [t, p] of b) if (!a.has(t)) max = Math.max(max, p);
    return max;
}
