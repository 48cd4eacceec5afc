import type {Command} from "commander";
import {formatBytes} from "../../models/formatBytes.js";
import {inspectModel, type ModelInspection} from "../../models/inspectModel.js";
import {engineWeightTypes} from "../../engine/engineWeightTypes.js";
import {ggmlTypeName} from "../../gguf/ggufTypes.js";

export function registerModelsInspectCommand(models: Command): void {
    models.command("inspect")
        .description("describe a GGUF file from its header: architecture, sizes, tensor types, chat template, tokenizer")
        .argument("<file>", "a .gguf model or LoRA adapter")
        .option("--json", "print the description as JSON")
        .option("--template-lines <n>", "lines of the chat template to show", "6")
        .addHelpText("after", "\nExample:\n  ditto models inspect models/fixtures/tiny-qwen2-q8_0.gguf")
        .action(async (file: string, opts: {json?: boolean, templateLines: string}) => {
            const info = await inspectModel(file, {templateLines: Math.max(0, Number(opts.templateLines) || 0)});
            console.log(opts.json ? JSON.stringify(info, null, 2) : formatInspection(info));
        });
}

function formatInspection(i: ModelInspection): string {
    const n = (v: number | null) => (v === null ? "?" : v.toLocaleString("en-US"));
    const tok = (t: {id: number, text: string} | null) => (t ? `${JSON.stringify(t.text)} (${t.id})` : "none");
    const lines = [
        `file            ${i.path}`,
        `size            ${formatBytes(i.fileSize)} (GGUF v${i.ggufVersion}, ${i.tensorCount} tensors)`,
        `kind            ${i.kind}${i.name ? ` "${i.name}"` : ""}`,
        `architecture    ${i.architecture ?? "?"}`
    ];
    if (i.adapter) {
        lines.push(`adapter         ${i.adapter.type ?? "?"}, rank ${n(i.adapter.rank)}, alpha ${n(i.adapter.alpha)}, ${i.adapter.tensors} tensors`);
    } else {
        lines.push(
            `layers          ${n(i.layers)}`,
            `hidden          ${n(i.hidden)} (feed-forward ${n(i.feedForward)})`,
            `heads           ${n(i.heads)} (kv heads ${n(i.kvHeads)}, head dim ${n(i.headDim)})`,
            `context         ${n(i.contextLength)} tokens`,
            `vocabulary      ${n(i.vocabSize)} tokens`);
    }
    lines.push(`parameters      ${n(i.parameters)} (${(i.parameters / 1e6).toFixed(1)}M)`, "tensor types");
    for (const [type, t] of Object.entries(i.tensorTypes).sort((a, b) => b[1].bytes - a[1].bytes))
        lines.push(`  ${type.padEnd(6)} ${String(t.tensors).padStart(5)} tensors ${n(t.parameters).padStart(15)} parameters ${formatBytes(t.bytes).padStart(10)}`);
    if (!i.adapter) {
        lines.push(i.untrainableTypes.length === 0 ? "training        the engine reads every matrix type in this file (kept quantized, decoded in the products)"
            : `training        not with ditto's engine: ${i.untrainableTypes.join(", ")} matrices (it reads ${[...engineWeightTypes].map(ggmlTypeName).join(", ")}; ` +
              "use a GGUF of the model in one of these)");
        const c = i.chatTemplate;
        lines.push(`chat template   ${!c.present ? "none in the file" : `${c.lines} lines`}; node-llama-cpp: ${c.wrapper ?? "none"} ` +
            (c.recognized ? "(recognized)" : c.present ? "(not a built-in match: the template runs as Jinja)" : "(guessed: no template)"));
        for (const line of c.firstLines) lines.push(`  | ${line}`);
        if (c.lines > c.firstLines.length && c.firstLines.length > 0) lines.push(`  | ... (${c.lines - c.firstLines.length} more lines; --json for all shown lines)`);
        const t = i.tokenizer;
        lines.push(`tokenizer       ${t.model ?? "?"}${t.pre ? ` (pre ${t.pre})` : ""}; bos ${tok(t.bos)}, eos ${tok(t.eos)}, pad ${tok(t.pad)}`);
        const shown = t.control.slice(0, 12).map((c) => c.text).join(" ");
        lines.push(`special tokens  ${t.control.length} control${t.control.length ? `: ${shown}${t.control.length > 12 ? " ..." : ""}` : ""}`);
    }
    return lines.join("\n");
}
