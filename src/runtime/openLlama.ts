import {getLlama, Llama, LlamaLogLevel} from "node-llama-cpp";
import {DittoError} from "../errors/DittoError.js";

export const gpuChoices = ["auto", "cuda", "vulkan", "metal", "cpu"] as const;
export type GpuChoice = typeof gpuChoices[number];

const instances = new Map<GpuChoice, Promise<Llama>>();

/**
 * The llama.cpp binding, one per GPU choice per process. "auto" takes CUDA, Vulkan or Metal when a
 * prebuilt binary for it works here, else the CPU. Never builds or downloads anything: ditto must
 * work air-gapped, so a missing backend is an error with the fix, not a download.
 */
export function openLlama(gpu: GpuChoice = "auto"): Promise<Llama> {
    let existing = instances.get(gpu);
    if (!existing) {
        existing = getLlama({
            gpu: gpu === "cpu" ? false : gpu,
            build: "never",
            logLevel: process.env.DITTO_DEBUG ? LlamaLogLevel.debug : LlamaLogLevel.error,
            progressLogs: false
        }).catch((err: unknown) => {
            instances.delete(gpu);
            throw new DittoError(`could not start llama.cpp with --gpu ${gpu}: ${err instanceof Error ? err.message : String(err)}`, {
                hint: gpu === "cpu" ? "run `ditto doctor` to see what is missing" :
                    "use --gpu auto or --gpu cpu, or check the GPU driver and runtime libraries with `ditto doctor`",
                code: "LLAMA_BACKEND", cause: err
            });
        });
        instances.set(gpu, existing);
    }
    return existing;
}
