// The valid file the GGUF fuzz test mutates: a complete qwen2 model (2 layers, matrices in F32,
// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and Q5_K, so a damaged type or shape meets every block size the
// engine reads; general.alignment set so it can be damaged) with a 64-token vocabulary and no chat
// template (node-llama-cpp spends seconds matching one against its wrappers), so that every reader
// (ours, node-llama-cpp's, the native engine) parses it in milliseconds.
import {writeGguf, type GgufTensorSpec} from "../../src/gguf/GgufWriter.js";
import {GgmlType, type GgufValue} from "../../src/gguf/ggufTypes.js";
import {encodeTensor} from "../../src/gguf/encodeTensor.js";
import {Rng} from "../../src/random/Rng.js";

const nVocab = 64, nEmbd = 64, nFf = 256, nHead = 4, nHeadKv = 2, headDim = 16, nLayer = 2;

export function writeFuzzBaseModel(path: string): void {
    const tokens = Array.from({length: nVocab}, (_, i) => i < 3 ? ["<|endoftext|>", "<|im_start|>", "<|im_end|>"][i]! : `t${i}`);
    const metadata: Record<string, GgufValue> = {
        "general.architecture": {type: "string", value: "qwen2"},
        "general.type": {type: "string", value: "model"},
        "general.name": {type: "string", value: "ditto-fuzz-base"},
        "general.alignment": {type: "u32", value: 32},
        "qwen2.context_length": {type: "u32", value: 256},
        "qwen2.embedding_length": {type: "u32", value: nEmbd},
        "qwen2.block_count": {type: "u32", value: nLayer},
        "qwen2.feed_forward_length": {type: "u32", value: nFf},
        "qwen2.attention.head_count": {type: "u32", value: nHead},
        "qwen2.attention.head_count_kv": {type: "u32", value: nHeadKv},
        "qwen2.rope.freq_base": {type: "f32", value: 1000000},
        "qwen2.attention.layer_norm_rms_epsilon": {type: "f32", value: 1e-6},
        "tokenizer.ggml.model": {type: "string", value: "gpt2"},
        "tokenizer.ggml.pre": {type: "string", value: "qwen2"},
        "tokenizer.ggml.tokens": {type: "array", itemType: "string", value: tokens},
        "tokenizer.ggml.token_type": {type: "array", itemType: "i32", value: tokens.map((_, i) => (i < 3 ? 3 : 1))},
        "tokenizer.ggml.eos_token_id": {type: "u32", value: 2},
        "tokenizer.ggml.padding_token_id": {type: "u32", value: 0}
    };
    const rng = new Rng("fuzz-base");
    const tensors: GgufTensorSpec[] = [];
    const add = (name: string, dims: number[], type: number = GgmlType.F32) => {
        const n = dims.reduce((a, b) => a * b, 1);
        const values = new Float32Array(n);
        for (let i = 0; i < n; i++) values[i] = dims.length === 1 ? 1 : (rng.next() - 0.5) / 4;
        tensors.push({name, dims, type, data: () => encodeTensor(values, type)});
    };
    add("token_embd.weight", [nEmbd, nVocab]);
    add("output_norm.weight", [nEmbd]);
    const q = nHead * headDim, kv = nHeadKv * headDim;
    for (let l = 0; l < nLayer; l++) {
        const b = `blk.${l}.`;
        add(b + "attn_norm.weight", [nEmbd]);
        add(b + "attn_q.weight", [nEmbd, q], GgmlType.Q4_0);
        add(b + "attn_k.weight", [nEmbd, kv], GgmlType.Q5_0);
        add(b + "attn_v.weight", [nEmbd, kv], l === 0 ? GgmlType.Q4_1 : GgmlType.F32);
        add(b + "attn_q.bias", [q]);
        add(b + "attn_k.bias", [kv]);
        add(b + "attn_v.bias", [kv]);
        add(b + "attn_output.weight", [q, nEmbd], GgmlType.Q5_1);
        add(b + "ffn_norm.weight", [nEmbd]);
        add(b + "ffn_gate.weight", [nEmbd, nFf], GgmlType.Q8_0);
        add(b + "ffn_up.weight", [nEmbd, nFf], GgmlType.Q8_0);
        add(b + "ffn_down.weight", [nFf, nEmbd], GgmlType.Q5_K); // rows of 256: one super-block
    }
    writeGguf(path, metadata, tensors);
}
