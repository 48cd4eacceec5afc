import {existsSync, writeFileSync} from "node:fs";
import {join, resolve} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import {describeDevice} from "../engine/describeDevice.js";
import type {EngineOpenOptions, TrainBatch, TrainEngine} from "../engine/TrainEngine.js";
import {resolveThreads} from "../runtime/physicalCores.js";
import {Rng} from "../random/Rng.js";
import {writeAdapterGguf} from "../adapter/writeAdapterGguf.js";
import {exportPeft} from "../adapter/exportPeft.js";
import {ChatTokenizer} from "./ChatTokenizer.js";
import {FinetuneInput, FinetuneOptions, resolveFinetuneOptions} from "./finetuneOptions.js";
import {learningRate} from "./learningRate.js";
import {LossLog} from "./LossLog.js";
import type {LossRecord} from "./lossRecord.js";
import {makeBatches} from "./makeBatches.js";
import type {PackedRow} from "./packSequences.js";
import {prepareTrainingData, TrainingData} from "./prepareTrainingData.js";
import {readLastCheckpoint} from "./readLastCheckpoint.js";
import {writeCheckpoint} from "./writeCheckpoint.js";
import {listCheckpointSteps} from "./listCheckpointSteps.js";
import {TrainProgress} from "./TrainProgress.js";
import {planTrainingMemory} from "./planTrainingMemory.js";
import {cpuTrainingTime} from "./cpuTrainingTime.js";
import {formatDuration} from "./formatDuration.js";
import {readGgufHeader} from "../gguf/readGgufHeader.js";
import {modelShapeOf} from "../engine/modelShapeOf.js";
import {formatMemoryPlan} from "../engine/formatMemoryPlan.js";
import {cudaAvailable} from "../engine/cudaAvailable.js";
import {loadNativeAddon} from "../engine/loadNativeAddon.js";
import {readDataset} from "./readDataset.js";
import {outputDirs} from "../runs/outputDirs.js";

export type FinetuneHooks = {
    /** the engine to train with; default: the native engine (src/engine/openEngine) */
    openEngine?: (options: EngineOpenOptions) => Promise<TrainEngine>,
    /** a tokenizer already loaded for this model (saves loading the vocabulary again) */
    tokenizer?: ChatTokenizer,
    /** called after every optimizer step, after the line is written to loss.jsonl */
    onStep?: (record: LossRecord) => void,
    /** warnings and notes; default: stderr */
    log?: (line: string) => void,
    /** stop after the current step, write a checkpoint there and reject with TRAIN_INTERRUPTED (the CLI wires Ctrl-C to it) */
    signal?: AbortSignal
};

export type FinetuneResult = {
    outDir: string,
    /** DIR/adapter.gguf: load with createContext({lora: {adapters: [{filePath, scale: 1}]}}) */
    adapterPath: string,
    /** DIR/peft: adapter_model.safetensors + adapter_config.json */
    peftDir: string,
    lossLogPath: string,
    steps: number,
    /** step the run started from (0, or the checkpoint's step when resumed) */
    startStep: number,
    finalLoss: number,
    finalEvalLoss: number | null,
    /** tokens processed per second in this session */
    tokensPerSecond: number,
    data: Pick<TrainingData, "trainStats" | "heldOutStats" | "sessions" | "boundaryMerges">
};

/** Models above this many parameters get a line with the expected CPU training time before the run. */
const largeOnCpu = 2e9;

/** Options a resumed run may change; everything else comes from the checkpoint so the math is the same. */
const overridableOnResume = ["threads", "device", "progress", "resume", "keepCheckpoints", "saveEvery", "activationMemoryMb"] as const;

/**
 * Trains a LoRA adapter on dataset.jsonl: tokenize with the model's chat template (loss on
 * assistant replies only), pack, then per optimizer step `gradAccum` engine.accumulate calls and
 * one engine.optimizerStep with the scheduled learning rate. Writes DIR/loss.jsonl every step,
 * DIR/checkpoints/step-N every `saveEvery` steps, and DIR/adapter.gguf + DIR/peft/ at the end.
 *
 * Every step is a pure function of (options, data, step, engine state), and a checkpoint holds
 * the engine state including its RNG, so `resume: true` continues exactly where an
 * uninterrupted run would be.
 */
export async function finetune(input: FinetuneInput, hooks: FinetuneHooks = {}): Promise<FinetuneResult> {
    const log = hooks.log ?? ((line: string) => process.stderr.write(line + "\n"));
    let o = resolveFinetuneOptions(input);
    const outDir = resolve(o.outDir);
    const lossPath = join(outDir, "loss.jsonl");
    const resumed = o.resume ? readLastCheckpoint(outDir) : undefined;
    if (resumed) {
        const keep = Object.fromEntries(overridableOnResume.map((k) => [k, o[k]]));
        const changed = (Object.keys(resumed.checkpoint.options) as (keyof FinetuneOptions)[])
            .filter((k) => !(overridableOnResume as readonly string[]).includes(k) && input[k] !== undefined &&
                JSON.stringify(input[k]) !== JSON.stringify(resumed.checkpoint.options[k]) && !["modelPath", "dataPath", "outDir"].includes(k));
        if (changed.length) log(`note: resuming with the checkpoint's ${changed.join(", ")} (a resumed run keeps the options it started with)`);
        o = {...resumed.checkpoint.options, ...keep, modelPath: o.modelPath, dataPath: o.dataPath, outDir: o.outDir} as FinetuneOptions;
        log(`resuming from ${resumed.path} (step ${resumed.checkpoint.step})`);
    } else {
        if (o.resume) log(`note: no checkpoint in ${join(outDir, "checkpoints")}, starting from the beginning`);
        else if (existsSync(lossPath) || listCheckpointSteps(join(outDir, "checkpoints")).length > 0)
            throw new DittoError(`${outDir} already holds a training run (loss.jsonl or checkpoints/)`,
                {hint: "pass --resume to continue it, or choose another --out", code: "TRAIN_OUT_EXISTS"});
    }
    // a bad data set is found before the output folder is made and the model's vocabulary is loaded
    readDataset(o.dataPath);
    outputDirs.make(outDir);

    const tokenizer = hooks.tokenizer ?? await ChatTokenizer.load(o.modelPath);
    let engine: TrainEngine | undefined;
    try {
        const data = prepareTrainingData(o, tokenizer);
        if (data.trainStats.truncated > 0)
            log(`warning: ${data.trainStats.truncated} of ${data.sessions} sessions are longer than --seq-len ${o.seqLen} and were truncated; raise --seq-len to keep them whole`);
        if (data.trainStats.dropped + data.heldOutStats.dropped > 0)
            log(`warning: ${data.trainStats.dropped + data.heldOutStats.dropped} sessions had no reply left after truncation and were skipped`);
        if (data.train.length === 0)
            throw new DittoError(`${o.dataPath}: no training sessions left after the held-out split and truncation`,
                {hint: "add data, lower --eval-fraction, or raise --seq-len", code: "TRAIN_NO_DATA"});
        if (resumed && resumed.checkpoint.dataset.sha256 !== data.datasetSha256)
            throw new DittoError(`${o.dataPath} changed since the checkpoint in ${resumed.path} was written`,
                {hint: "resume with the same dataset.jsonl, or start a new run with another --out", code: "TRAIN_DATA_CHANGED"});

        const shape = modelShapeOf(readGgufHeader(o.modelPath));
        // the memory plan and the time estimate are the CPU engine's; the CUDA engine plans its own memory
        const onCpu = o.device === "cpu" || o.precision === "bf16" || (o.device === "auto" && !cudaAvailable());
        if (onCpu) {
            const plan = planTrainingMemory(o, shape, [...data.train, ...data.heldOut]);
            log(formatMemoryPlan(plan));
            for (const change of plan.changes) log(`note: to fit in memory, ${change}`);
            o = {...o, batchSize: plan.batchSize, gradAccum: plan.gradAccum, activationMemoryMb: plan.activationMemoryMb};
        }
        const microPerEpoch = Math.ceil(data.train.length / o.batchSize);
        const stepsPerEpoch = Math.ceil(microPerEpoch / o.gradAccum);
        const totalSteps = o.maxSteps ?? o.epochs * stepsPerEpoch;
        const tokensToTrain = Math.round(data.trainStats.tokens * (totalSteps - (resumed?.checkpoint.step ?? 0)) / stepsPerEpoch);
        log(`training: ${tokensToTrain.toLocaleString("en-US")} tokens in ${totalSteps - (resumed?.checkpoint.step ?? 0)} steps ` +
            `(${data.trainStats.tokens.toLocaleString("en-US")} tokens per epoch)`);
        if (onCpu && shape.parameters > largeOnCpu) {
            const kernel = loadNativeAddon().gemmKernel();
            const t = cpuTrainingTime(shape.parameters, tokensToTrain, resolveThreads(o.threads), kernel);
            log(`note: ${(shape.parameters / 1e9).toFixed(1)}B parameters on the CPU: about ${formatDuration(t.seconds)} at ~${t.tokensPerSecond.toFixed(1)} tokens/s ` +
                `(scaled from the 0.5B benchmark with the ${kernel} kernel); a CUDA GPU would be much faster, but the CUDA engine is not verified yet, so this run goes on on the CPU`);
        }
        const heldOutBatches = makeBatches(data.heldOut, o.batchSize);

        const open = hooks.openEngine ?? (async (options: EngineOpenOptions) => (await import("../engine/openEngine.js")).openEngine(options));
        engine = await open({
            modelPath: o.modelPath, seed: o.seed, device: o.device, precision: o.precision, threads: resolveThreads(o.threads), activationMemoryMb: o.activationMemoryMb,
            lora: {rank: o.rank, alpha: o.alpha, dropout: o.dropout, targets: o.targets}
        });
        if (resumed) engine.setState(resumed.state);
        const device = engine.info.device;
        if (device) log(describeDevice(device));

        const lossLog = new LossLog(lossPath, resumed?.checkpoint.step);
        const startStep = resumed?.checkpoint.step ?? 0;
        let tokensSeen = resumed?.checkpoint.tokens ?? 0;
        const elapsedBefore = resumed?.checkpoint.elapsed ?? 0;
        const started = Date.now();
        const progress = new TrainProgress(o.progress, totalSteps, startStep, log);
        let epochBatches: {epoch: number, batches: TrainBatch[]} | undefined;
        let last: LossRecord | undefined;
        const evaluate = async () => {
            if (heldOutBatches.length === 0) return null;
            let sum = 0, count = 0;
            for (const b of heldOutBatches) { const r = await engine!.evaluate(b); sum += r.lossSum; count += r.tokens; }
            return count > 0 ? sum / count : null;
        };

        try {
            for (let step = startStep; step < totalSteps; step++) {
                const epoch = Math.floor(step / stepsPerEpoch);
                if (epochBatches?.epoch !== epoch) epochBatches = {epoch, batches: makeBatches(epochOrder(data.train, o.seed, epoch), o.batchSize)};
                const first = (step % stepsPerEpoch) * o.gradAccum;
                const micro = epochBatches.batches.slice(first, first + o.gradAccum);
                let lossSum = 0, targetTokens = 0, stepTokens = 0;
                for (const batch of micro) {
                    const r = await engine.accumulate(batch);
                    lossSum += r.lossSum;
                    targetTokens += r.tokens;
                    for (let i = 0; i < batch.segments.length; i++) if (batch.segments[i]! >= 0) stepTokens++;
                }
                const lr = learningRate(step, totalSteps, o);
                const {gradNorm} = await engine.optimizerStep({
                    lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay, clip: o.clip,
                    gradScale: Math.max(1, targetTokens)
                });
                const done = step + 1;
                const evalDue = done === totalSteps || (o.evalEvery > 0 && done % o.evalEvery === 0);
                const evalLoss = evalDue ? await evaluate() : null;
                tokensSeen += stepTokens;
                const elapsed = elapsedBefore + (Date.now() - started) / 1000;
                last = {step: done, epoch: round(done / stepsPerEpoch, 4), lr, loss: targetTokens > 0 ? lossSum / targetTokens : 0,
                    eval_loss: evalLoss, grad_norm: gradNorm, tokens: tokensSeen, elapsed: round(elapsed, 3)};
                lossLog.append(last);
                progress.update(done, last.loss, evalLoss, stepTokens);
                hooks.onStep?.(last);
                const interrupted = hooks.signal?.aborted === true && done < totalSteps;
                if (interrupted || (o.saveEvery > 0 && done % o.saveEvery === 0 && done < totalSteps)) {
                    const path = writeCheckpoint(outDir, {
                        version: 1, step: done, epoch: last.epoch, elapsed, tokens: tokensSeen,
                        dataPosition: {epoch: Math.floor(done / stepsPerEpoch), microBatch: (done % stepsPerEpoch) * o.gradAccum},
                        options: {...o, resume: false},
                        dataset: {path: o.dataPath, sha256: data.datasetSha256, trainRows: data.train.length, heldOutRows: data.heldOut.length}
                    }, engine.getState(), o.keepCheckpoints);
                    if (interrupted)
                        throw new DittoError(`training stopped after step ${done} of ${totalSteps}; checkpoint written to ${path}`,
                            {hint: "run the same command with --resume to continue exactly where it stopped", code: "TRAIN_INTERRUPTED"});
                }
            }
        } finally {
            progress.stop();
        }

        const adapterPath = join(outDir, "adapter.gguf");
        const peftDir = join(outDir, "peft");
        const pairs = engine.loraPairs();
        writeAdapterGguf(pairs, {arch: engine.info.arch, alpha: o.alpha, name: `ditto LoRA r${o.rank} for ${o.modelPath.split("/").pop()}`}, adapterPath);
        exportPeft(pairs, {arch: engine.info.arch, alpha: o.alpha, nHead: engine.info.nHead, nHeadKv: engine.info.nHeadKv, dropout: o.dropout,
            baseModel: String(tokenizer.model.fileInfo.metadata.general?.name ?? o.modelPath)}, peftDir);
        const seconds = (Date.now() - started) / 1000;
        const result: FinetuneResult = {
            outDir, adapterPath, peftDir, lossLogPath: lossPath, steps: totalSteps, startStep,
            finalLoss: last?.loss ?? NaN, finalEvalLoss: last?.eval_loss ?? null,
            tokensPerSecond: seconds > 0 ? (tokensSeen - (resumed?.checkpoint.tokens ?? 0)) / seconds : 0,
            data: {trainStats: data.trainStats, heldOutStats: data.heldOutStats, sessions: data.sessions, boundaryMerges: data.boundaryMerges}
        };
        writeFileSync(join(outDir, "train.json"), JSON.stringify({...result, options: o, engine: engine.info}, null, 2) + "\n");
        return result;
    } finally {
        engine?.close();
        if (!hooks.tokenizer) await tokenizer.dispose();
    }
}

/** The rows of one epoch in a seeded order, so every epoch sees different batches and a resume sees the same ones. */
function epochOrder(rows: readonly PackedRow[], seed: number, epoch: number): PackedRow[] {
    return new Rng(`${seed}:epoch:${epoch}`).shuffle([...rows]);
}

function round(x: number, digits: number): number {
    const f = 10 ** digits;
    return Math.round(x * f) / f;
}
