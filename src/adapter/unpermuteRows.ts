/**
 * Inverse of llama.cpp's permute for Q/K (convert_hf_to_gguf: reshape(n_head, 2, hd/2, ...)
 * .swapaxes(1, 2)): GGUF row h*hd + 2i + j holds HF row h*hd + j*hd/2 + i.
 */
export function unpermuteRows(m: Float32Array, rows: number, cols: number, nHead: number): Float32Array {
    const hd = rows / nHead, half = hd / 2;
    const out = new Float32Array(m.length);
    for (let h = 0; h < nHead; h++)
        for (let i = 0; i < half; i++)
            for (let j = 0; j < 2; j++) {
                const from = (h * hd + 2 * i + j) * cols, to = (h * hd + j * half + i) * cols;
                out.set(m.subarray(from, from + cols), to);
            }
    return out;
}
