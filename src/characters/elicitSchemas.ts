/** Longest listed name, in characters. */
const nameChars = 40;

/**
 * Token budget of one listing call: enough for `batch` names even at one character a token plus the
 * JSON around each, so the list always closes; real models stop at the grammar's end long before.
 */
export function characterListMaxTokens(batch: number): number {
    return batch * (nameChars + 16) + 24;
}

/** JSON schema of the listing call: names and categories, at most `batch`. */
export function characterListSchema(batch: number) {
    return {
        type: "object",
        properties: {
            characters: {type: "array", minItems: 1, maxItems: batch, items: {type: "object", properties: {
                name: {type: "string", minLength: 1, maxLength: nameChars},
                category: {enum: ["real person", "fictional character"]}
            }}}
        }
    } as const;
}

/**
 * JSON schema of one profile. The string limits come from the token budget (about 2.5 characters
 * a token, on the safe side) so a profile always closes its JSON before max_tokens cuts it off.
 */
export function profileSchema(maxTokens: number) {
    const chars = Math.max(200, Math.floor(maxTokens * 2.5));
    const part = (share: number) => Math.max(8, Math.floor(chars * share));
    return {
        type: "object",
        properties: {
            label: {type: "string", minLength: 1, maxLength: part(0.05)},
            description: {type: "string", minLength: 1, maxLength: part(0.12)},
            aliases: {type: "array", maxItems: 3, items: {type: "string", minLength: 1, maxLength: part(0.04)}},
            claims: {type: "array", maxItems: 6, items: {type: "string", minLength: 1, maxLength: part(0.05)}},
            summary: {type: "string", maxLength: part(0.3)}
        }
    } as const;
}
