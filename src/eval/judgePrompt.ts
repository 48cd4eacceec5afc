import type {ChatMessage} from "../runtime/generationTypes.js";
import type {Answer} from "./answerSchema.js";
import type {EvalSession, EvalTurn} from "./evalSessionSchema.js";
import type {JudgeKind} from "./judgementSchema.js";

export type JudgeRequest = {
    messages: ChatMessage[],
    /** JSON schema the judge's output is constrained to: every output parses */
    schema: object,
    /** the judgement's value from the parsed output; undefined when it is not a valid one */
    read: (output: unknown) => number | undefined
};

const system = "You are a careful, impartial judge of role-play conversations. Reply only with the JSON asked for.";

const scores = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/**
 * The judge's prompt for one answer, with the paper's semantics (method.md stage 4). Outputs are
 * small enums (a candidate number, a 1-10 score, a boolean), which a grammar can always close
 * within a few tokens, so a valid judgement is the norm even for a small judge model.
 */
export function judgePrompt(kind: JudgeKind, session: EvalSession, turn: EvalTurn, answer: Answer): JudgeRequest {
    const qa = `Question: ${turn.question}\nAnswer: ${answer.answer || "(empty)"}`;
    switch (kind) {
        case "consistency": {
            const numbers = turn.candidates.map((_, i) => i + 1);
            return {
                messages: [{role: "system", content: system}, {role: "user", content: [
                    "Below is one exchange from a role-play conversation, and a list of characters. Which character most likely gave the answer?", "",
                    qa, "", "Candidates:", ...turn.candidates.map((c, i) => `${i + 1}. ${c}`), "",
                    `Reply as JSON: {"speaker": N} with N the candidate's number (1 to ${numbers.length}).`
                ].join("\n")}],
                schema: {type: "object", properties: {speaker: {enum: numbers}}, required: ["speaker"]},
                read: (o) => {
                    const v = (o as {speaker?: unknown})?.speaker;
                    return typeof v === "number" && numbers.includes(v) ? v - 1 : undefined;
                }
            };
        }
        case "knowledge":
            return {
                messages: [{role: "system", content: system}, {role: "user", content: [
                    "Here is a character's profile, a question put to the character and the character's answer.", "",
                    "Profile:", session.profile, "", qa, "",
                    "Evidence for this question:", ...(turn.evidence.length > 0 ? turn.evidence.map((e) => `- ${e}`) : ["- (none)"]), "",
                    "Rate how well the answer shows the character's own knowledge: accurate, consistent with the profile and the evidence, specific rather than vague.",
                    "1 = wrong or no knowledge shown, 10 = accurate and rich. A fitting in-character refusal of a question outside the character's world is not a lack of knowledge.",
                    `Reply as JSON: {"score": N} with N from 1 to 10.`
                ].join("\n")}],
                schema: {type: "object", properties: {score: {enum: scores}}, required: ["score"]},
                read: (o) => {
                    const v = (o as {score?: unknown})?.score;
                    return typeof v === "number" && scores.includes(v) ? v : undefined;
                }
            };
        case "rejection":
            return {
                messages: [{role: "system", content: system}, {role: "user", content: [
                    `In a role-play, ${session.label} was asked a question. Did the answer refuse, decline, or say the character does not know, because the question is outside what the character could know?`, "",
                    qa, "",
                    `Reply as JSON: {"refused": true} or {"refused": false}.`
                ].join("\n")}],
                schema: {type: "object", properties: {refused: {type: "boolean"}}, required: ["refused"]},
                read: (o) => {
                    const v = (o as {refused?: unknown})?.refused;
                    return typeof v === "boolean" ? Number(v) : undefined;
                }
            };
        default: {
            const never: never = kind;
            throw new Error(`unknown judge ${String(never)}`);
        }
    }
}
