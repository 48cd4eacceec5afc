import {Rng} from "../random/Rng.js";

export type CandidateCharacter = {id: string, label: string, description: string};

/** "[Name] one-line summary", the consistency judge's candidate line. */
export function candidateLine(c: {label: string, description: string}): string {
    return `[${c.label}] ${c.description.trim()}`;
}

/**
 * The true character plus up to `distractors` others, drawn and placed with a seeded RNG so the
 * same seed gives the same set. Distractors may be training characters: only their names show.
 */
export function makeCandidates(truth: CandidateCharacter, pool: readonly CandidateCharacter[], seed: string, distractors = 3): {candidates: string[], truth: number} {
    const rng = new Rng(seed);
    const others = rng.shuffle(pool.filter((c) => c.id !== truth.id && c.label !== truth.label)).slice(0, distractors);
    const lines = others.map(candidateLine);
    const at = rng.int(lines.length + 1);
    lines.splice(at, 0, candidateLine(truth));
    return {candidates: lines, truth: at};
}
