import type {FinetuneOptions} from "./finetuneOptions.js";

/** state.json of DIR/checkpoints/step-N/; the LoRA weights and AdamW moments sit beside it as raw float32 files. */
export type TrainCheckpoint = {
    version: 1,
    /** optimizer steps done; training continues with step + 1 */
    step: number,
    epoch: number,
    /** where the next step reads: epoch (0-based, its row order is seeded by seed and epoch) and micro-batch within it */
    dataPosition: {epoch: number, microBatch: number},
    elapsed: number,
    tokens: number,
    engine: {step: number, rng: string},
    /** the options the run was started with (what the math depends on) */
    options: FinetuneOptions,
    dataset: {path: string, sha256: string, trainRows: number, heldOutRows: number}
};
