import type {TrainingExample} from "./trainingExampleSchema.js";

const roles = {system: "system", user: "human", assistant: "gpt"} as const;

/** A dataset line in ShareGPT form ({"conversations": [{"from": "human"|"gpt"|"system", "value"}]}), as LLaMA-Factory and axolotl read it. */
export function sharegptLine(e: TrainingExample): {conversations: {from: string, value: string}[], meta?: unknown} {
    return {conversations: e.messages.map((m) => ({from: roles[m.role], value: m.content})), ...(e.meta ? {meta: e.meta} : {})};
}
