import {existsSync, mkdirSync} from "node:fs";
import {join} from "node:path";
import {writeGguf, GgufTensorSpec} from "../../src/gguf/GgufWriter.js";
import {GgmlType, GgufValue} from "../../src/gguf/ggufTypes.js";
import {encodeTensor} from "../../src/gguf/encodeTensor.js";
import {CHATML_TEMPLATE, loadQwenTokenizer} from "../../src/fixtures/qwenTokenizer.js";
import {Rng} from "../../src/random/Rng.js";
import {fixtureDir} from "../helpers/fixtureModel.js";
import {dequantizeQ4K} from "../../src/adapter/dequantizeQ4K.js";
import {dequantizeQ6K} from "../../src/adapter/dequantizeQ6K.js";
import {quantizeQ4K} from "../../src/gguf/quantizeQ4K.js";
import {quantizeQ6K} from "../../src/gguf/quantizeQ6K.js";

/** Shape of the K-quant test model: rows of 256 / 512 values, as K-quant blocks need. */
export const kQuantShape = {nEmbd: 256, nHead: 4, nHeadKv: 2, headDim: 64, nFf: 512, nLayer: 1};

/**
 * A one-layer qwen2 model whose projections are Q4_K and Q6_K (the mix of a Q4_K_M file), with
 * the real Qwen tokenizer; variant "f32" has the same weights before quantization. The tiny
 * fixtures' 64-wide rows are too short for K-quant blocks. Variant "expanded" holds, as F32, the
 * values the K-quant blocks decode to: the reference for decoding them inside the products.
 * Variant "mixed" is "kquant" with the k and up projections expanded to F32 (the same values), so
 * that a layer mixes quantized and unquantized matrices, as llama.cpp's quantizer can leave it.
 */
export function kQuantModel(variant: "kquant" | "f32" | "expanded" | "mixed" = "kquant"): string {
    const path = join(fixtureDir, `kquant-qwen2-1layer-v2-${variant}.gguf`);
    if (existsSync(path)) return path;
    mkdirSync(fixtureDir, {recursive: true});
    const s = kQuantShape;
    const tok = loadQwenTokenizer();
    const u32 = (value: number): GgufValue => ({type: "u32", value});
    const metadata: Record<string, GgufValue> = {
        "general.architecture": {type: "string", value: "qwen2"},
        "general.type": {type: "string", value: "model"},
        "general.name": {type: "string", value: "ditto-kquant-test"},
        "qwen2.context_length": u32(1024), "qwen2.embedding_length": u32(s.nEmbd), "qwen2.block_count": u32(s.nLayer),
        "qwen2.feed_forward_length": u32(s.nFf), "qwen2.attention.head_count": u32(s.nHead), "qwen2.attention.head_count_kv": u32(s.nHeadKv),
        "qwen2.rope.freq_base": {type: "f32", value: 1e6}, "qwen2.attention.layer_norm_rms_epsilon": {type: "f32", value: 1e-6},
        "tokenizer.ggml.model": {type: "string", value: "gpt2"}, "tokenizer.ggml.pre": {type: "string", value: "qwen2"},
        "tokenizer.ggml.tokens": {type: "array", itemType: "string", value: tok.tokens},
        "tokenizer.ggml.token_type": {type: "array", itemType: "i32", value: tok.tokenTypes},
        "tokenizer.ggml.merges": {type: "array", itemType: "string", value: tok.merges},
        "tokenizer.ggml.eos_token_id": u32(tok.eosId), "tokenizer.ggml.padding_token_id": u32(tok.padId),
        "tokenizer.ggml.bos_token_id": u32(tok.bosId), "tokenizer.ggml.add_bos_token": {type: "bool", value: false},
        "tokenizer.chat_template": {type: "string", value: CHATML_TEMPLATE}
    };
    const rng = new Rng(99);
    const random = (n: number, spread: number, offset = 0) => Float32Array.from({length: n}, () => offset + (rng.next() * 2 - 1) * spread);
    const tensors: GgufTensorSpec[] = [];
    const add = (name: string, dims: number[], quantType: number, values: Float32Array) => {
        // the f32 variant holds the very values the K-quant variant quantized
        const kQuant = quantType === GgmlType.Q4_K || quantType === GgmlType.Q6_K;
        const expand = variant === "expanded" || (variant === "mixed" && (name === "blk.0.attn_k.weight" || name === "blk.0.ffn_up.weight"));
        const type = (variant === "f32" || expand) && kQuant ? GgmlType.F32 : quantType;
        let stored = values;
        if (expand && kQuant) {
            stored = new Float32Array(values.length);
            if (quantType === GgmlType.Q4_K) dequantizeQ4K(quantizeQ4K(values), stored);
            else dequantizeQ6K(quantizeQ6K(values), stored);
        }
        const data = type === GgmlType.Q4_K ? quantizeQ4K(stored) : type === GgmlType.Q6_K ? quantizeQ6K(stored) : encodeTensor(stored, type);
        tensors.push({name, dims, type, data: () => data});
    };
    const matrix = (nIn: number, nOut: number) => random(nIn * nOut, Math.sqrt(3 / nIn));
    const q = s.nHead * s.headDim, kv = s.nHeadKv * s.headDim;
    add("token_embd.weight", [s.nEmbd, tok.tokens.length], GgmlType.Q8_0, random(s.nEmbd * tok.tokens.length, 0.3));
    add("blk.0.attn_norm.weight", [s.nEmbd], GgmlType.F32, random(s.nEmbd, 0.2, 1));
    add("blk.0.attn_q.weight", [s.nEmbd, q], GgmlType.Q4_K, matrix(s.nEmbd, q));
    add("blk.0.attn_k.weight", [s.nEmbd, kv], GgmlType.Q4_K, matrix(s.nEmbd, kv));
    add("blk.0.attn_v.weight", [s.nEmbd, kv], GgmlType.Q6_K, matrix(s.nEmbd, kv));
    add("blk.0.attn_q.bias", [q], GgmlType.F32, random(q, 0.2));
    add("blk.0.attn_k.bias", [kv], GgmlType.F32, random(kv, 0.2));
    add("blk.0.attn_v.bias", [kv], GgmlType.F32, random(kv, 0.2));
    add("blk.0.attn_output.weight", [q, s.nEmbd], GgmlType.Q4_K, matrix(q, s.nEmbd));
    add("blk.0.ffn_norm.weight", [s.nEmbd], GgmlType.F32, random(s.nEmbd, 0.2, 1));
    add("blk.0.ffn_gate.weight", [s.nEmbd, s.nFf], GgmlType.Q4_K, matrix(s.nEmbd, s.nFf));
    add("blk.0.ffn_up.weight", [s.nEmbd, s.nFf], GgmlType.Q6_K, matrix(s.nEmbd, s.nFf));
    add("blk.0.ffn_down.weight", [s.nFf, s.nEmbd], GgmlType.Q6_K, matrix(s.nFf, s.nEmbd));
    add("output_norm.weight", [s.nEmbd], GgmlType.F32, random(s.nEmbd, 0.2, 1));
    // The output head is the (tied) embedding, kept small so the next-token distribution is not
    // saturated and a decoding mistake shows in the probabilities.
    writeGguf(path, metadata, tensors);
    return path;
}
