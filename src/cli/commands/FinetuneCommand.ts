import type {Command} from "commander";
import {DittoError} from "../../errors/DittoError.js";
import {enginePrecisions, loraTargets, type EnginePrecision, type LoraTarget} from "../../engine/TrainEngine.js";
import {finetune} from "../../train/finetune.js";
import {finetuneDefaults, type FinetuneInput, type LrSchedule, type ProgressMode, type TrainDevice} from "../../train/finetuneOptions.js";
import {showMask} from "../../train/showMask.js";

type FinetuneFlags = {
    model: string, data: string, out?: string,
    rank?: string, alpha?: string, dropout?: string, targets?: string, lr?: string, minLrRatio?: string, warmup?: string,
    schedule?: string, weightDecay?: string, clip?: string, epochs?: string, maxSteps?: string, batchSize?: string,
    gradAccum?: string, seqLen?: string, activationMemory?: string, seed?: string, threads?: string, device?: string, precision?: string, evalFraction?: string,
    evalEvery?: string, saveEvery?: string, keepCheckpoints?: string, resume?: boolean, progress?: string, pack?: boolean,
    showMask?: boolean | string
};

export function registerFinetuneCommand(program: Command): void {
    const d = finetuneDefaults;
    program.command("finetune")
        .description("train a LoRA adapter on a dataset.jsonl with the native engine; writes DIR/adapter.gguf, DIR/peft/, DIR/loss.jsonl and checkpoints")
        .requiredOption("--model <file>", "base model GGUF (the one generation used)")
        .requiredOption("--data <file>", "dataset.jsonl (messages format)")
        .option("--out <dir>", "run folder for the adapter, loss.jsonl and checkpoints (required unless --show-mask)")
        .option("--rank <n>", `LoRA rank (default ${d.rank})`)
        .option("--alpha <x>", `LoRA alpha; the update is scaled by alpha/rank (default ${d.alpha})`)
        .option("--dropout <p>", `dropout on the LoRA input (default ${d.dropout})`)
        .option("--targets <list>", `projections to adapt, comma-separated from ${loraTargets.join(",")} (default all)`)
        .option("--lr <x>", `peak learning rate (default ${d.lr})`)
        .option("--min-lr-ratio <x>", `cosine floor as a share of --lr (default ${d.minLrRatio})`)
        .option("--warmup <x>", `warm-up: a fraction of all steps (< 1) or a step count (default ${d.warmup})`)
        .option("--schedule <s>", `cosine or constant (default ${d.schedule})`)
        .option("--weight-decay <x>", `AdamW weight decay (default ${d.weightDecay})`)
        .option("--clip <x>", `max gradient norm, 0 = off (default ${d.clip})`)
        .option("--epochs <n>", `passes over the data (default ${d.epochs})`)
        .option("--max-steps <n>", "optimizer steps to run; overrides --epochs")
        .option("--batch-size <n>", `sequences per micro-batch (default ${d.batchSize})`)
        .option("--grad-accum <n>", `micro-batches per optimizer step (default ${d.gradAccum})`)
        .option("--seq-len <n>", `tokens per packed sequence; longer sessions are truncated (default ${d.seqLen})`)
        .option("--activation-memory <mb>", `MB of activations kept for the backward instead of recomputed; lowered, with the micro-batch, when the memory plan does not fit (default ${d.activationMemoryMb})`)
        .option("--no-pack", "one session per sequence instead of packing several (more padding, slower)")
        .option("--seed <n>", `seed for LoRA init, dropout, shuffling and the held-out split (default ${d.seed})`)
        .option("--threads <n>", "CPU threads (default: physical cores; env DITTO_THREADS)")
        .option("--device <d>", `auto, cpu or cuda (default ${d.device})`)
        .option("--precision <p>", `products with the frozen weights: ${enginePrecisions.join(" or ")}; bf16 rounds F16/BF16 weights and their inputs to bf16 on CPUs with AVX512-BF16 (default ${d.precision})`)
        .option("--eval-fraction <x>", `share of sessions held out for eval loss (default ${d.evalFraction})`)
        .option("--eval-every <n>", `eval loss every N steps, 0 = only at the end (default ${d.evalEvery})`)
        .option("--save-every <n>", `checkpoint every N steps, 0 = never (default ${d.saveEvery})`)
        .option("--keep-checkpoints <n>", `checkpoints kept on disk (default ${d.keepCheckpoints})`)
        .option("--resume", "continue from the last checkpoint in --out")
        .option("--progress <mode>", "bar, log or none (default: bar on a terminal, else log)")
        .option("--offline", "forbid any network use (same as DITTO_OFFLINE=1; training never uses the network)")
        .option("--show-mask [line]", "print one session (first, or the given dataset line) with the trained tokens in [[ ]] and exit")
        .addHelpText("after", "\nExamples:\n" +
            "  ditto finetune --model models/tiny-qwen2.gguf --data runs/demo/dataset.jsonl --show-mask\n" +
            "  ditto finetune --model models/tiny-qwen2.gguf --data runs/demo/dataset.jsonl --out runs/demo/train --rank 8 --epochs 2\n" +
            "  ditto finetune --model models/tiny-qwen2.gguf --data runs/demo/dataset.jsonl --out runs/demo/train --resume")
        .action(async (flags: FinetuneFlags) => {
            if (flags.showMask !== undefined && flags.showMask !== false) {
                const line = flags.showMask === true ? undefined : num("show-mask", flags.showMask);
                console.log(await showMask(flags.model, flags.data, {line, color: process.stdout.isTTY}));
                return;
            }
            if (!flags.out) throw new DittoError("--out is required to train", {hint: "e.g. --out runs/demo/train", code: "CLI_OPTION"});
            const input: FinetuneInput = {
                modelPath: flags.model, dataPath: flags.data, outDir: flags.out,
                rank: num("rank", flags.rank), alpha: num("alpha", flags.alpha), dropout: num("dropout", flags.dropout),
                targets: flags.targets === undefined ? undefined : targetList(flags.targets),
                lr: num("lr", flags.lr), minLrRatio: num("min-lr-ratio", flags.minLrRatio), warmup: num("warmup", flags.warmup),
                schedule: flags.schedule as LrSchedule | undefined, weightDecay: num("weight-decay", flags.weightDecay), clip: num("clip", flags.clip),
                epochs: num("epochs", flags.epochs), maxSteps: num("max-steps", flags.maxSteps), batchSize: num("batch-size", flags.batchSize),
                gradAccum: num("grad-accum", flags.gradAccum), seqLen: num("seq-len", flags.seqLen),
                activationMemoryMb: num("activation-memory", flags.activationMemory), seed: num("seed", flags.seed),
                threads: num("threads", flags.threads), device: flags.device as TrainDevice | undefined,
                precision: flags.precision as EnginePrecision | undefined,
                evalFraction: num("eval-fraction", flags.evalFraction), evalEvery: num("eval-every", flags.evalEvery),
                saveEvery: num("save-every", flags.saveEvery), keepCheckpoints: num("keep-checkpoints", flags.keepCheckpoints),
                resume: flags.resume, progress: flags.progress as ProgressMode | undefined,
                pack: flags.pack === false ? false : undefined
            };
            // First Ctrl-C: finish the step, checkpoint, exit (resumable); a second one kills as usual.
            const stop = new AbortController();
            const onSigint = () => {
                process.stderr.write("\nstopping after this step and writing a checkpoint (Ctrl-C again to kill)\n");
                stop.abort();
                process.removeListener("SIGINT", onSigint);
            };
            process.on("SIGINT", onSigint);
            let res;
            try {
                res = await finetune(input, {signal: stop.signal});
            } finally {
                process.removeListener("SIGINT", onSigint);
            }
            const s = res.data.trainStats;
            console.log(`trained ${res.steps - res.startStep} steps on ${s.sessions} sessions (${s.rows} rows, ${s.targetTokens} trained tokens per epoch)`);
            console.log(`loss ${res.finalLoss.toFixed(4)}${res.finalEvalLoss === null ? "" : `, eval loss ${res.finalEvalLoss.toFixed(4)}`}, ${res.tokensPerSecond.toFixed(1)} tokens/s`);
            console.log(`adapter  ${res.adapterPath}\npeft     ${res.peftDir}\nloss log ${res.lossLogPath}`);
        });
}

/** Only that it is a number; ranges and integrality are checked (with the flag named) by resolveFinetuneOptions. */
function num(flag: string, value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n))
        throw new DittoError(`--${flag} ${value} is not a number`, {hint: `e.g. --${flag} ${String((finetuneDefaults as Record<string, unknown>)[camel(flag)] ?? 1)}`, code: "CLI_OPTION"});
    return n;
}

function targetList(value: string): LoraTarget[] {
    const list = value.split(",").map((t) => t.trim()).filter(Boolean);
    if (list.length === 1 && list[0] === "all") return [...loraTargets];
    return list as LoraTarget[];
}

function camel(flag: string): string {
    return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
