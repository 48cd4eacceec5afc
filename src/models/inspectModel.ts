import {basename} from "node:path";
import {readGgufFileInfo, resolveChatWrapper} from "node-llama-cpp";
import {readGgufHeader} from "../gguf/readGgufHeader.js";
import {GgufFileError} from "../gguf/errors/GgufFileError.js";
import {ggmlTensorBytes, ggmlTypeName, ggmlBlockLayout, type GgufReadValue} from "../gguf/ggufTypes.js";
import {engineWeightTypes} from "../engine/engineWeightTypes.js";

/** What `ditto models inspect` reports; also the --json shape. */
export type ModelInspection = {
    path: string,
    fileSize: number,
    ggufVersion: number,
    /** general.type: "model" or "adapter" (missing means model) */
    kind: string,
    name: string | null,
    architecture: string | null,
    layers: number | null,
    hidden: number | null,
    feedForward: number | null,
    heads: number | null,
    kvHeads: number | null,
    headDim: number | null,
    contextLength: number | null,
    vocabSize: number | null,
    /** elements in all tensors */
    parameters: number,
    tensorCount: number,
    /** by ggml type: tensors, elements, bytes */
    tensorTypes: Record<string, {tensors: number, parameters: number, bytes: number}>,
    /** types of the matrices (2-D tensors) that ditto's training engine cannot read, e.g. ["IQ4_XS"]; empty when it reads them all */
    untrainableTypes: string[],
    chatTemplate: {
        present: boolean,
        firstLines: string[],
        lines: number,
        /** node-llama-cpp's chat wrapper for this file, e.g. "ChatML", "Qwen", "JinjaTemplate" */
        wrapper: string | null,
        /** true: a built-in wrapper matched the template; false: node-llama-cpp runs the Jinja template as-is, or guesses */
        recognized: boolean
    },
    tokenizer: {
        model: string | null,
        pre: string | null,
        bos: SpecialToken | null,
        eos: SpecialToken | null,
        pad: SpecialToken | null,
        /** tokens marked as control tokens (token_type 3): <|im_start|>, <|endoftext|>, ... */
        control: SpecialToken[]
    },
    /** LoRA adapters only */
    adapter: {type: string | null, alpha: number | null, rank: number | null, tensors: number} | null
};

export type SpecialToken = {id: number, text: string};

const CONTROL_TOKEN = 3;

/**
 * Describes a GGUF file from its header alone (no weights are loaded, so it works for files llama.cpp
 * cannot run, and for adapters), plus which chat wrapper node-llama-cpp picks for its template,
 * the same choice the runtime makes when it chats with the model.
 */
export async function inspectModel(path: string, options: {templateLines?: number} = {}): Promise<ModelInspection> {
    const h = readGgufHeader(path);
    const md = h.metadata;
    const arch = str(md.get("general.architecture"));
    const a = (key: string) => (arch ? num(md.get(`${arch}.${key}`)) : null);
    const tokens = md.get("tokenizer.ggml.tokens") as string[] | undefined;
    const tokenTypes = md.get("tokenizer.ggml.token_type") as ArrayLike<number> | undefined;
    const token = (key: string): SpecialToken | null => {
        const id = num(md.get(key));
        return id === null ? null : {id, text: tokens?.[id] ?? "?"};
    };
    const control: SpecialToken[] = [];
    if (tokens && tokenTypes)
        for (let i = 0; i < tokenTypes.length; i++) if (tokenTypes[i] === CONTROL_TOKEN) control.push({id: i, text: tokens[i] ?? "?"});

    const tensorTypes: ModelInspection["tensorTypes"] = {};
    const untrainable = new Set<string>();
    let parameters = 0;
    for (const t of h.tensors) {
        if (t.dims.length >= 2 && t.dims[1]! > 1 && !engineWeightTypes.has(t.type)) untrainable.add(ggmlTypeName(t.type));
        const n = t.dims.reduce((x, y) => x * y, 1);
        parameters += n;
        const key = ggmlTypeName(t.type);
        const entry = tensorTypes[key] ??= {tensors: 0, parameters: 0, bytes: 0};
        entry.tensors++;
        entry.parameters += n;
        entry.bytes += ggmlBlockLayout[t.type] ? ggmlTensorBytes(t.type, n) : 0;
    }

    const template = str(md.get("tokenizer.chat_template"));
    const templateLines = template ? template.split("\n") : [];
    const heads = a("attention.head_count");
    const hidden = a("embedding_length");
    const kind = str(md.get("general.type")) ?? "model";
    const loraA = h.tensors.find((t) => t.name.endsWith(".lora_a"));
    return {
        path, fileSize: h.fileSize, ggufVersion: h.version, kind,
        name: str(md.get("general.name")),
        architecture: arch,
        layers: a("block_count"), hidden, feedForward: a("feed_forward_length"), heads,
        kvHeads: a("attention.head_count_kv") ?? heads,
        headDim: a("attention.key_length") ?? (heads && hidden ? hidden / heads : null),
        contextLength: a("context_length"),
        vocabSize: tokens?.length ?? a("vocab_size"),
        parameters, tensorCount: h.tensors.length, tensorTypes, untrainableTypes: [...untrainable].sort(),
        chatTemplate: {
            present: template !== null,
            firstLines: templateLines.slice(0, options.templateLines ?? 6),
            lines: templateLines.length,
            ...(kind === "adapter" || !tokens ? {wrapper: null, recognized: false} : await chatWrapperOf(path))
        },
        tokenizer: {
            model: str(md.get("tokenizer.ggml.model")), pre: str(md.get("tokenizer.ggml.pre")),
            bos: token("tokenizer.ggml.bos_token_id"), eos: token("tokenizer.ggml.eos_token_id"),
            pad: token("tokenizer.ggml.padding_token_id"), control
        },
        adapter: kind === "adapter" ? {
            type: str(md.get("adapter.type")), alpha: num(md.get("adapter.lora.alpha")),
            // lora_a has GGUF shape [n_in, r]
            rank: loraA?.dims[1] ?? null, tensors: h.tensors.length
        } : null
    };
}

/**
 * node-llama-cpp's choice of chat wrapper, made as the runtime makes it (resolveChatWrapper on the
 * file's metadata). A built-in wrapper means the template was recognized; JinjaTemplate means
 * node-llama-cpp runs the template itself; a guess from the architecture or file name is not a match.
 */
async function chatWrapperOf(path: string): Promise<{wrapper: string | null, recognized: boolean}> {
    try {
        const info = await readGgufFileInfo(path, {readTensorInfo: false, logWarnings: false});
        const wrapper = resolveChatWrapper({fileInfo: info, filename: basename(path), warningLogs: false});
        if (!wrapper) return {wrapper: null, recognized: false};
        const hasTemplate = typeof info.metadata?.tokenizer?.chat_template === "string";
        return {wrapper: wrapper.wrapperName, recognized: hasTemplate && wrapper.wrapperName !== "JinjaTemplate" && wrapper.wrapperName !== "General"};
    } catch (error) {
        // our reader accepted the header, node-llama-cpp did not: the runtime would refuse it too
        throw new GgufFileError(path, "corrupt", `node-llama-cpp cannot read the file's metadata or chat template (${error instanceof Error ? error.message : String(error)})`,
            "the file is damaged or has metadata llama.cpp does not accept; download or convert it again", {cause: error});
    }
}

function str(v: GgufReadValue | undefined): string | null {
    return typeof v === "string" ? v : null;
}

function num(v: GgufReadValue | undefined): number | null {
    return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : null;
}
