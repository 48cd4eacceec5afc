import type {Answer, EvalVariant} from "./answerSchema.js";
import type {EvalSession, EvalTurn} from "./evalSessionSchema.js";
import type {Judgement} from "./judgementSchema.js";
import {metricNames, type EvalReport, type LossPoint, type MetricDiff, type MetricSet} from "./reportTypes.js";

/** One answered turn's scores: each null when every sample of that judge failed. */
type TurnScore = {variant: EvalVariant, session: EvalSession, consistency: number | null, knowledge: number | null, rejection: number | null, failures: number};

const mean = (xs: number[]) => xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

function scoreTurn(turn: EvalTurn, js: Judgement[]): Omit<TurnScore, "variant" | "session"> {
    const valid = (kind: string) => js.filter((j) => j.kind === kind && j.ok).map((j) => j.value!);
    const refused = mean(valid("rejection"));
    return {
        consistency: mean(valid("consistency").map((v) => Number(v === turn.truth))),
        knowledge: mean(valid("knowledge")),
        // majority over samples; a tie counts as refused
        rejection: refused === null ? null : Number((refused >= 0.5) === (turn.gold === "refuse")),
        failures: js.filter((j) => !j.ok).length
    };
}

/** Turn-weighted: every answered turn counts once, whichever session or language it is in. */
function aggregate(scores: TurnScore[]): MetricSet {
    const pick = (k: "consistency" | "knowledge" | "rejection") => scores.map((s) => s[k]).filter((v): v is number => v !== null);
    return {consistency: mean(pick("consistency")), knowledge: mean(pick("knowledge")), rejection: mean(pick("rejection")),
        turns: scores.length, failures: scores.reduce((a, s) => a + s.failures, 0)};
}

function byVariant(scores: TurnScore[], variants: EvalVariant[]): Partial<Record<EvalVariant, MetricSet>> {
    return Object.fromEntries(variants.map((v) => [v, aggregate(scores.filter((s) => s.variant === v))]));
}

function diff(m: Partial<Record<EvalVariant, MetricSet>>): MetricDiff | undefined {
    const a = m.adapter, b = m.base;
    if (!a || !b) return undefined;
    return Object.fromEntries(metricNames.map((k) => [k, a[k] !== null && b[k] !== null ? a[k]! - b[k]! : null])) as MetricDiff;
}

export type ComputeReportOptions = {
    run: string,
    sessions: EvalSession[],
    answers: Answer[],
    judgements: Judgement[],
    models?: EvalReport["models"],
    loss?: LossPoint[]
};

/** The report's numbers: per language and overall, per character, base vs adapter with the difference. */
export function computeReport(options: ComputeReportOptions): EvalReport {
    const turns = new Map<string, {session: EvalSession, turn: EvalTurn}>();
    for (const session of options.sessions) for (const turn of session.turns) turns.set(turn.id, {session, turn});
    const byAnswer = new Map<string, Judgement[]>();
    for (const j of options.judgements) {
        let list = byAnswer.get(j.answer);
        if (!list) byAnswer.set(j.answer, list = []);
        list.push(j);
    }
    const scores: TurnScore[] = [];
    for (const a of options.answers) {
        const t = turns.get(a.turn);
        if (!t) continue;
        scores.push({variant: a.variant, session: t.session, ...scoreTurn(t.turn, byAnswer.get(a.id) ?? [])});
    }
    const variants = (["base", "adapter"] as const).filter((v) => options.answers.some((a) => a.variant === v));
    const overall = byVariant(scores, variants);
    const langs = [...new Set(options.sessions.map((s) => s.lang))].sort();
    const judgedTurns = options.judgements;
    const failures = judgedTurns.filter((j) => !j.ok);
    return {
        run: options.run,
        created: new Date().toISOString(),
        models: options.models ?? {},
        variants,
        sessions: options.sessions.length,
        overall: {metrics: overall, diff: diff(overall)},
        languages: langs.map((lang) => {
            const m = byVariant(scores.filter((s) => s.session.lang === lang), variants);
            return {lang, metrics: m, diff: diff(m)};
        }),
        characters: options.sessions.map((s) => ({
            id: s.character, label: s.label, lang: s.lang, turns: s.turns.length,
            metrics: byVariant(scores.filter((x) => x.session.id === s.id), variants)
        })),
        judgements: {
            total: judgedTurns.length, failures: failures.length,
            failuresByKind: {
                consistency: failures.filter((j) => j.kind === "consistency").length,
                knowledge: failures.filter((j) => j.kind === "knowledge").length,
                rejection: failures.filter((j) => j.kind === "rejection").length
            }
        },
        ...(options.loss && options.loss.length > 0 ? {loss: options.loss} : {})
    };
}
