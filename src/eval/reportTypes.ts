import type {EvalVariant} from "./answerSchema.js";
import type {JudgeKind} from "./judgementSchema.js";

/** Scores of one group of turns (null: no valid judgement in the group). */
export type MetricSet = {
    /** fraction of turns where the judge named the true character (mean over samples) */
    consistency: number | null,
    /** mean 1-10 score */
    knowledge: number | null,
    /** accuracy of the judge's refused / not refused against the gold label */
    rejection: number | null,
    /** answered turns in the group */
    turns: number,
    /** judge samples with no valid output (ok: false) */
    failures: number
};

export type MetricName = "consistency" | "knowledge" | "rejection";
export const metricNames: readonly MetricName[] = ["consistency", "knowledge", "rejection"];

export type MetricDiff = Record<MetricName, number | null>;

export type LossPoint = {step: number, loss: number, eval_loss?: number};

/** eval/report.json */
export type EvalReport = {
    run: string,
    created: string,
    models: {base?: string, adapter?: string, judge?: string},
    variants: EvalVariant[],
    sessions: number,
    overall: {metrics: Partial<Record<EvalVariant, MetricSet>>, diff?: MetricDiff},
    languages: {lang: string, metrics: Partial<Record<EvalVariant, MetricSet>>, diff?: MetricDiff}[],
    characters: {id: string, label: string, lang: string, turns: number, metrics: Partial<Record<EvalVariant, MetricSet>>}[],
    judgements: {total: number, failures: number, failuresByKind: Record<JudgeKind, number>},
    /** train/loss.jsonl, when the run has one */
    loss?: LossPoint[]
};
