import type {PromptTokens} from "../generate/fitProfiles.js";
import type {GenerationBackend} from "./GenerationBackend.js";

/** The backend's own token counts when it has them (the in-process pool does; a server backend has none). */
export function promptTokensOf(backend: GenerationBackend): PromptTokens | undefined {
    const b = backend as Partial<PromptTokens>;
    return typeof b.promptTokens === "function" && typeof b.textTokens === "function" && typeof b.contextSize === "number"
        ? backend as unknown as PromptTokens : undefined;
}
