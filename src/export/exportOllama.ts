import {existsSync, mkdirSync, writeFileSync} from "node:fs";
import {basename, join, resolve} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import {readGgufHeader} from "../gguf/readGgufHeader.js";
import {fileSlug} from "./fileSlug.js";
import {ollamaTemplate} from "./ollamaTemplate.js";
import {trainedBaseModel} from "./trainedBaseModel.js";
import {trainedCharacters} from "./trainedCharacters.js";

/** Sampling written into the Modelfile: the same defaults as `ditto chat` and `ditto serve`. */
const ollamaParameters = {temperature: 0.7, top_p: 0.8, repeat_penalty: 1.1, num_ctx: 4096};

export type OllamaExport = {files: string[], commands: string[]};

/**
 * `ditto export RUN --format ollama`: a Modelfile per trained character (FROM the base GGUF,
 * ADAPTER the run's LoRA GGUF, SYSTEM its trained line, the TEMPLATE and stop tokens of the
 * model's chat template) and the `ollama create` command for each.
 */
export function exportOllama(options: {runDir: string, outDir?: string}): OllamaExport {
    const base = trainedBaseModel(options.runDir, {required: true})!;
    const adapter = resolve(options.runDir, "train", "adapter.gguf");
    if (!existsSync(adapter)) throw new DittoError(`${adapter} not found: the run has no trained adapter yet`, {hint: `run \`ditto train --run ${options.runDir}\` first`, code: "EXPORT_NO_ADAPTER"});
    if (!existsSync(base)) throw new DittoError(`${base} (the base model the adapter was trained on) not found`, {hint: "put the model file back where it was trained from", code: "EXPORT_NO_MODEL"});
    const template = ollamaTemplate(readGgufHeader(base).metadata.get("tokenizer.chat_template"), base);
    const out = resolve(options.outDir ?? join(options.runDir, "export", "ollama"));
    const run = fileSlug(basename(resolve(options.runDir)));
    const files: string[] = [], commands: string[] = [];
    const used = new Set<string>();
    for (const t of trainedCharacters(options.runDir, {examples: 0})) {
        let name = `${run}-${fileSlug(t.character.label)}`;
        if (used.has(name)) name = `${name}-${fileSlug(t.character.id)}`;
        used.add(name);
        const dir = join(out, name);
        mkdirSync(dir, {recursive: true});
        const file = join(dir, "Modelfile");
        const command = `ollama create ${name} -f ${file}`;
        writeFileSync(file, [
            `# ${t.character.label}, trained by ditto in ${resolve(options.runDir)} (chat template: ${template.name}).`,
            `# Create the model: ${command}`,
            `FROM ${base}`,
            `ADAPTER ${adapter}`,
            `TEMPLATE """${template.template}"""`,
            `SYSTEM """${t.system.replace(/"""/g, "\" \" \"")}"""`,
            ...template.stop.map((s) => `PARAMETER stop "${s}"`),
            ...Object.entries(ollamaParameters).map(([k, v]) => `PARAMETER ${k} ${v}`),
            ""
        ].join("\n"));
        files.push(file);
        commands.push(command);
    }
    return {files, commands};
}
