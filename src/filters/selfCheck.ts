import type {Generator} from "../generate/Generator.js";
import type {PromptTemplates} from "../generate/PromptTemplates.js";
import type {JsonlStore} from "../runs/JsonlStore.js";
import {seedFor} from "../runs/seedFor.js";
import type {FilterInput} from "./TurnFilter.js";
import type {SelfCheckVerdict} from "./selfCheckVerdictSchema.js";

const verdictSchema = {type: "object", properties: {refused: {type: "boolean"}}} as const;

export type SelfCheckOptions = {generator: Generator, prompts: PromptTemplates, seed: number, store: JsonlStore<SelfCheckVerdict>};

/**
 * The optional model self-check (method.md stage 3): the generator judges, with a JSON verdict,
 * whether each answer refused. Kept: own questions answered, partner questions refused. Greedy
 * (temperature 0) since a verdict should not be a dice roll; verdicts are stored by turn id.
 * Returns the drop reason per turn id.
 */
export async function selfCheck(inputs: readonly FilterInput[], o: SelfCheckOptions, onProgress?: (done: number, total: number) => void): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let done = 0;
    await Promise.all(inputs.map(async ({turn, character, lang}) => {
        let v = o.store.get(turn.id);
        if (!v) {
            const res = await o.generator.generate({
                messages: [{role: "user", content: o.prompts.render("self_check", lang, {label: character.label, question: turn.question, answer: turn.answer})}],
                sampling: {temperature: 0, maxTokens: 16, seed: seedFor(o.seed, turn.id, 0)},
                jsonSchema: verdictSchema
            });
            let refused: boolean | null = null;
            try { refused = Boolean((JSON.parse(res.text) as {refused?: unknown}).refused); } catch { refused = null; }
            v = {id: turn.id, refused: res.finish === "stop" ? refused : null, finish: res.finish};
            o.store.append(v);
        }
        if (v.refused === null) out.set(turn.id, "the self-check verdict was cut off");
        else if (turn.provenance === "own" && v.refused) out.set(turn.id, "refused a question from its own world");
        else if (turn.provenance === "partner" && !v.refused) out.set(turn.id, "answered a question from outside its world");
        onProgress?.(++done, inputs.length);
    }));
    return out;
}
