/** The stages of `ditto generate`, in order; each writes one file of the run folder. */
export const stageNames = ["characters", "pairs", "queries", "responses", "sessions", "dataset"] as const;
export type StageName = typeof stageNames[number];

/** The file that exists (renamed into place) exactly when a stage is complete. */
export const stageFiles: Record<StageName, string> = {
    characters: "characters.jsonl",
    pairs: "pairs.jsonl",
    queries: "queries.jsonl",
    responses: "responses.jsonl",
    sessions: "sessions.jsonl",
    dataset: "dataset.jsonl"
};
