import {join} from "node:path";
import type {Character} from "../characters/characterSchema.js";
import {DittoError} from "../errors/DittoError.js";
import {Rng} from "../random/Rng.js";
import type {Recipe} from "../recipes/recipeSchema.js";
import type {GenerationBackend} from "../runtime/GenerationBackend.js";
import {assertNoLeak} from "./checkLeak.js";
import type {EvalSession} from "./evalSessionSchema.js";
import {generateEvalQuestions} from "./generateEvalQuestions.js";
import {makeCandidates} from "./makeCandidates.js";
import {pickEvidence} from "./pickEvidence.js";
import {renderProfile} from "../characters/renderProfile.js";
import {readCharacters, readQueries, readSplit} from "./readRunFiles.js";
import {systemLine} from "./systemLine.js";
import {writeEvalSet} from "./writeEvalSet.js";

export type BuildEvalSetOptions = {
    runDir: string,
    recipe: Recipe,
    /** the model that writes questions for held-out characters the pipeline wrote none for; only opened when needed */
    getPool?: () => Promise<GenerationBackend>,
    signal?: AbortSignal,
    log?: (line: string) => void
};

export type BuildEvalSetResult = {
    path: string,
    sessions: EvalSession[],
    /** questions the evaluation wrote itself, by origin (0 when the pipeline's queries sufficed) */
    generated: {model: number, template: number}
};

type Q = {question: string, provenance: "own" | "partner"};

/** Own and partner questions alternately (the paper's sessions mix both), then shuffled with the seed. */
function pickTurns(own: Q[], partner: Q[], turns: number, rng: Rng): Q[] {
    const o = rng.shuffle([...own]), p = rng.shuffle([...partner]);
    const out: Q[] = [];
    while (out.length < turns && (o.length > 0 || p.length > 0)) {
        const next = (out.length % 2 === 0 ? o.shift() ?? p.shift() : p.shift() ?? o.shift())!;
        if (!out.some((q) => q.question === next.question)) out.push(next);
    }
    return rng.shuffle(out);
}

/**
 * `eval/evalset.jsonl` from the run's held-out characters (manifest.json split.eval): checks they
 * never reached the training data, takes their questions from the pipeline's queries.jsonl or
 * writes them with the model, and gives every turn its gold label, evidence and four candidates.
 */
export async function buildEvalSet(options: BuildEvalSetOptions): Promise<BuildEvalSetResult> {
    const {runDir, recipe} = options;
    const split = readSplit(runDir);
    const characters = readCharacters(runDir);
    const byId = new Map(characters.map((c) => [c.id, c]));
    const missing = split.eval.filter((id) => !byId.has(id));
    if (missing.length > 0)
        throw new DittoError(`manifest.json split.eval names characters not in characters.jsonl: ${missing.slice(0, 5).join(", ")}`, {
            hint: "the run folder is inconsistent; re-run the character stage", code: "EVAL_INPUT"});
    const heldOut = split.eval.map((id) => byId.get(id)!);
    assertNoLeak(runDir, heldOut);

    const questions = new Map<string, Q[]>(heldOut.map((c) => [c.id, []]));
    for (const q of readQueries(runDir)) questions.get(q.asker)?.push({question: q.question, provenance: q.provenance});
    const lacking = heldOut.filter((c) => questions.get(c.id)!.length === 0);
    const generated = {model: 0, template: 0};
    if (lacking.length > 0) {
        if (!options.getPool)
            throw new DittoError(`${lacking.length} held-out character(s) have no questions in queries.jsonl (${lacking.slice(0, 3).map((c) => c.label).join(", ")})`, {
                hint: "give a model so the evaluation can write them (ditto eval build --model M), or let the pipeline generate queries for held-out characters", code: "EVAL_NO_QUESTIONS"});
        options.log?.(`writing questions for ${lacking.length} held-out character(s) with the model`);
        const written = await generateEvalQuestions({characters: lacking, all: characters, pool: await options.getPool(), recipe,
            path: join(runDir, "eval", "questions.jsonl"), signal: options.signal, log: (l) => options.log?.(`  ${l}`)});
        if (options.signal?.aborted) throw new DittoError("interrupted while writing eval questions", {hint: "run the same command again: finished questions are kept", code: "ABORTED"});
        for (const q of written) {
            questions.get(q.asker)?.push({question: q.question, provenance: q.provenance});
            generated[q.origin]++;
        }
    }

    const sessions: EvalSession[] = heldOut.map((c: Character) => {
        const id = `eval-${c.id}`;
        const all = questions.get(c.id)!;
        const rng = new Rng(`eval-turns:${recipe.seed}:${c.id}`);
        const picked = pickTurns(all.filter((q) => q.provenance === "own"), all.filter((q) => q.provenance === "partner"), recipe.eval.turns, rng);
        return {
            id, character: c.id, label: c.label, lang: c.lang, source: "run" as const,
            system: systemLine(c.label, c.description),
            // whole: the judge cuts it in tokens for its own context (judgeAnswers)
            profile: renderProfile(c, Number.MAX_SAFE_INTEGER),
            turns: picked.map((q, i) => ({
                id: `${id}-t${i}`, question: q.question, provenance: q.provenance,
                gold: q.provenance === "own" ? "answer" as const : "refuse" as const,
                evidence: pickEvidence(q.question, c.claims),
                ...makeCandidates(c, characters, `eval-cands:${recipe.seed}:${id}-t${i}`)
            }))
        };
    });
    for (const s of sessions) if (s.turns[0]!.candidates.length < 4)
        options.log?.(`note: only ${s.turns[0]!.candidates.length} candidates per turn (the run has ${characters.length} characters; 4 need at least 4)`);
    return {path: writeEvalSet(runDir, sessions), sessions, generated};
}
