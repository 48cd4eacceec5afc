import {join} from "node:path";

/** Where the evaluation's files live in a run folder (formats.md: runs/NAME/eval/). */
export function evalPaths(runDir: string) {
    const dir = join(runDir, "eval");
    return {
        dir,
        evalSet: join(dir, "evalset.jsonl"),
        questions: join(dir, "questions.jsonl"),
        answers: join(dir, "answers.jsonl"),
        judgements: join(dir, "judgements.jsonl"),
        /** the models the run stage used: {base, adapter, judge} */
        models: join(dir, "models.json"),
        /** fingerprints of the models behind the stored answers and judgements (evalIdentity.ts) */
        identity: join(dir, "identity.json"),
        reportJson: join(dir, "report.json"),
        reportMd: join(dir, "report.md"),
        reportHtml: join(dir, "report.html"),
        /** written by `ditto train` */
        loss: join(runDir, "train", "loss.jsonl"),
        adapter: join(runDir, "train", "adapter.gguf")
    };
}
