import {existsSync} from "node:fs";
import {DittoError} from "../errors/DittoError.js";
import {TrainingExample, trainingExampleSchema} from "../dataset/trainingExampleSchema.js";
import {readTextFile} from "../runs/readTextFile.js";

export type DatasetExample = TrainingExample & {
    /** 1-based line in the file, for messages */
    line: number,
    /** meta.id when present, else "line-N" */
    id: string
};

/**
 * Reads dataset.jsonl: one conversation per line, blank lines skipped. A bad line is an error
 * naming the file, line and field, since silently dropping training data hides pipeline bugs.
 * Conversations without an assistant reply teach nothing and are an error too.
 */
export function readDataset(path: string): DatasetExample[] {
    if (!existsSync(path))
        throw new DittoError(`${path}: dataset file not found`, {hint: "pass --data with the dataset.jsonl written by `ditto generate` (runs/<name>/dataset.jsonl)", code: "TRAIN_DATA_MISSING"});
    const lines = readTextFile(path).split("\n");
    const out: DatasetExample[] = [];
    lines.forEach((text, i) => {
        if (text.trim() === "") return;
        const where = `${path}:${i + 1}`;
        let json: unknown;
        try {
            json = JSON.parse(text);
        } catch (err) {
            throw new DittoError(`${where}: not valid JSON (${err instanceof Error ? err.message : String(err)})`,
                {hint: "each line must be one JSON object {\"messages\": [...]}; a half-written last line means generation was interrupted: resume it", code: "TRAIN_DATA_JSON", cause: err});
        }
        const parsed = trainingExampleSchema.safeParse(json);
        if (!parsed.success) {
            const issue = parsed.error.issues[0]!;
            throw new DittoError(`${where}: field ${issue.path.join(".") || "(line)"}: ${issue.message}`,
                {hint: "expected {\"messages\": [{\"role\": \"system\"|\"user\"|\"assistant\", \"content\": string}, ...], \"meta\": {...}}", code: "TRAIN_DATA_FIELD"});
        }
        if (!parsed.data.messages.some((m) => m.role === "assistant"))
            throw new DittoError(`${where}: the conversation has no assistant message, so there is nothing to learn from it`,
                {hint: "remove the line or add the assistant's reply", code: "TRAIN_DATA_NO_REPLY"});
        const metaId = parsed.data.meta?.id;
        out.push({...parsed.data, line: i + 1, id: typeof metaId === "string" ? metaId : `line-${i + 1}`});
    });
    if (out.length === 0)
        throw new DittoError(`${path}: the dataset is empty`, {hint: "run the generation stages first, or check that --data points at dataset.jsonl", code: "TRAIN_DATA_EMPTY"});
    return out;
}
