import {physicalCores} from "../runtime/physicalCores.js";
import {EngineError} from "./errors/EngineError.js";
import {loadNativeAddon} from "./loadNativeAddon.js";
import {NativeTrainEngine} from "./NativeTrainEngine.js";
import {targetMask} from "./targetMask.js";
import {defaultActivationMemoryMb} from "./defaultActivationMemoryMb.js";
import {loraTargets} from "./TrainEngine.js";
import type {EngineOpenOptions} from "./TrainEngine.js";


/**
 * Opens the native LoRA engine on a GGUF base model: loads and dequantizes the weights (off the
 * event loop), initialises LoRA A (seeded) and B = 0. Rejects with an EngineError naming an
 * unsupported architecture or tensor type, a missing file, or a bad option.
 * Defaults: threads = physical cores, activationMemoryMb = defaultActivationMemoryMb, device "auto"
 * (CUDA when built and a GPU is present, else the CPU; `info.device.note` says why CUDA was not used),
 * precision "fp32" ("bf16": the CPU engine's bf16 weight products; an EngineError "precision"
 * names the missing CPU feature where the CPU lacks AVX512-BF16).
 */
export async function openEngine(options: EngineOpenOptions): Promise<NativeTrainEngine> {
    const device = options.device ?? "auto";
    const {lora} = options;
    for (const t of lora.targets)
        if (!loraTargets.includes(t))
            throw new EngineError("open", `unknown LoRA target "${String(t)}"`, {hint: `use some of ${loraTargets.join(", ")}`});
    if (!Number.isInteger(lora.rank) || lora.rank <= 0)
        throw new EngineError("open", `LoRA rank must be a positive integer, got ${lora.rank}`, {hint: "e.g. --rank 16"});
    const addon = loadNativeAddon();
    try {
        const native = await addon.openEngine({
            modelPath: options.modelPath,
            rank: lora.rank,
            alpha: lora.alpha,
            dropout: lora.dropout,
            targets: targetMask(lora.targets),
            threads: options.threads ?? physicalCores(),
            seed: options.seed,
            activationMemoryMb: options.activationMemoryMb ?? defaultActivationMemoryMb,
            device,
            precision: options.precision ?? "fp32"
        });
        return new NativeTrainEngine(native);
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message.startsWith("device cuda is not available"))
            throw new EngineError("device", message, {cause: error, hint: "use --device cpu (or auto, which falls back to the CPU)"});
        if (message.startsWith("precision bf16"))
            throw new EngineError("precision", message, {cause: error, hint: message.includes("mode of the CPU engine")
                ? "use --device cpu (or auto) with --precision bf16, or --precision fp32 on the GPU"
                : "use --precision fp32 (the default; train.precision: fp32 in a recipe)"});
        // the engine names the file in most messages; the rest (a tensor's block size) get it here
        throw new EngineError("open", message.includes(options.modelPath) ? message : `${options.modelPath}: ${message}`, {
            cause: error,
            hint: "check the model path, and that it is a llama/qwen2/qwen3 GGUF with F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K weights"
        });
    }
}
