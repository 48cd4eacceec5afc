import type {TrainBatch} from "../engine/TrainEngine.js";
import type {PackedRow} from "./packSequences.js";

/** Groups rows into micro-batches of up to `batchSize` rows (the last may be smaller), row-major. */
export function makeBatches(rows: readonly PackedRow[], batchSize: number): TrainBatch[] {
    const out: TrainBatch[] = [];
    for (let start = 0; start < rows.length; start += batchSize) {
        const group = rows.slice(start, start + batchSize);
        const seqLen = group[0]!.tokens.length;
        const batch: TrainBatch = {
            batch: group.length, seqLen,
            tokens: new Int32Array(group.length * seqLen),
            targets: new Int32Array(group.length * seqLen),
            segments: new Int32Array(group.length * seqLen)
        };
        group.forEach((r, i) => {
            batch.tokens.set(r.tokens, i * seqLen);
            batch.targets.set(r.targets, i * seqLen);
            batch.segments.set(r.segments, i * seqLen);
        });
        out.push(batch);
    }
    return out;
}
