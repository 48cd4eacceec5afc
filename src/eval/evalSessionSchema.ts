import {z} from "zod";

/**
 * One turn of a WikiRoleEval-style session (method.md stage 4). `gold` is the rejection label:
 * an own question should be answered, a partner question refused. `candidates` are the
 * "[Name] one-line summary" lines the consistency judge picks from; `truth` indexes the true one.
 */
export const evalTurnSchema = z.strictObject({
    id: z.string().min(1),
    question: z.string().min(1),
    provenance: z.enum(["own", "partner"]),
    gold: z.enum(["answer", "refuse"]),
    evidence: z.array(z.string()),
    candidates: z.array(z.string().min(1)).min(2),
    truth: z.number().int().min(0),
    /** a reference answer, when the set came with one (WikiRoleEval's ref_messages) */
    reference: z.string().optional()
}).refine((t) => t.truth < t.candidates.length, {message: "truth must index one of the candidates", path: ["truth"]});
export type EvalTurn = z.output<typeof evalTurnSchema>;

/** One held-out character's session: the one-line system prompt, the profile the knowledge judge reads, the turns in order. */
export const evalSessionSchema = z.strictObject({
    id: z.string().min(1),
    character: z.string().min(1),
    label: z.string().min(1),
    lang: z.string().min(2),
    system: z.string().min(1),
    /**
     * the character's whole profile, which the knowledge judge cuts in tokens to fit its context
     * (never shown to the model under test); older sets hold one cut at characters.max_profile_chars
     */
    profile: z.string(),
    source: z.enum(["run", "wikiroleeval"]),
    turns: z.array(evalTurnSchema).min(1)
});
export type EvalSession = z.output<typeof evalSessionSchema>;
