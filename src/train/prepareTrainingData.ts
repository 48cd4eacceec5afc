import {hashFileSync} from "../runs/hashFileSync.js";
import {Rng} from "../random/Rng.js";
import type {ChatTokenizer} from "./ChatTokenizer.js";
import {packSequences, PackedRow, PackStats} from "./packSequences.js";
import {readDataset} from "./readDataset.js";
import {splitHeldOutExamples} from "./splitHeldOutExamples.js";

export type TrainingData = {
    train: PackedRow[],
    heldOut: PackedRow[],
    trainStats: PackStats,
    heldOutStats: PackStats,
    sessions: number,
    /** assistant turns whose edge token merged with template text (mask placed by common prefix) */
    boundaryMerges: number,
    /** sha256 of dataset.jsonl, so a resumed run can refuse a changed data set */
    datasetSha256: string
};

/**
 * dataset.jsonl -> packed rows: tokenize every session with the model's chat template and loss
 * mask, hold out a seeded share for eval loss, shuffle the rest (seeded) and pack into seqLen rows.
 * Everything is a pure function of the file, tokenizer, seqLen, evalFraction and seed, so a
 * resumed run rebuilds exactly the same rows.
 */
export function prepareTrainingData(o: {dataPath: string, seqLen: number, pack: boolean, evalFraction: number, seed: number}, tokenizer: ChatTokenizer): TrainingData {
    const examples = readDataset(o.dataPath);
    const datasetSha256 = hashFileSync(o.dataPath);
    let boundaryMerges = 0;
    const encoded = examples.map((e) => {
        const enc = tokenizer.encode(e.messages);
        boundaryMerges += enc.boundaryMerges;
        return enc;
    });
    const {train, heldOut} = splitHeldOutExamples(encoded, o.evalFraction, o.seed);
    new Rng(`${o.seed}:pack`).shuffle(train);
    const pad = tokenizer.endOfTurn; // any real token id; padding has no target and no segment
    const packedTrain = packSequences(train, o.seqLen, pad, {pack: o.pack});
    const packedHeld = packSequences(heldOut, o.seqLen, pad, {pack: o.pack});
    return {train: packedTrain.rows, heldOut: packedHeld.rows, trainStats: packedTrain.stats, heldOutStats: packedHeld.stats,
        sessions: examples.length, boundaryMerges, datasetSha256};
}
