import type {GenerateResult} from "../runtime/generationTypes.js";

/** The questions of one sample, or why the sample is unusable (cut off, empty or repeated questions). */
export function parseQuestions(result: GenerateResult, count: number): {questions: string[]} | {problem: string} {
    if (result.finish !== "stop") return {problem: `sample ${result.finish === "length" ? "hit max_tokens" : "was aborted"} before the JSON was complete`};
    let value: unknown;
    try { value = JSON.parse(result.text); } catch { return {problem: "not valid JSON"}; }
    const list = (value as {questions?: unknown})?.questions;
    if (!Array.isArray(list)) return {problem: "no questions list"};
    const questions = list.map((q) => String((q as {question?: unknown})?.question ?? "").trim()).filter((q) => q !== "");
    const unique = [...new Set(questions)];
    if (unique.length < count) return {problem: `${unique.length} distinct non-empty questions, ${count} wanted`};
    return {questions: unique.slice(0, count)};
}
