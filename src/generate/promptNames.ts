/** The prompt templates the pipeline uses: prompts/<lang>/<name>.txt. */
export const promptNames = ["query", "response", "session_system", "session_system_profile", "self_check", "elicit_list", "elicit_profile"] as const;
export type PromptName = typeof promptNames[number];
