import type {Session} from "../sessions/sessionSchema.js";
import type {TrainingExample} from "./trainingExampleSchema.js";

/** A session as one dataset.jsonl line: OpenAI-style messages, meta with the per-turn own/partner labels. */
export function toTrainingExample(s: Session): TrainingExample {
    return {
        messages: [{role: "system", content: s.system}, ...s.turns.flatMap((t) => [
            {role: "user" as const, content: t.question}, {role: "assistant" as const, content: t.answer}])],
        meta: {id: s.id, character: s.character, lang: s.lang, provenance: s.turns.map((t) => t.provenance)}
    };
}
