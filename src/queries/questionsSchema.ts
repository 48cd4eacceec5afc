/** The JSON schema the query prompt's answer is held to (grammar-constrained, so it always parses unless cut off). */
export function questionsSchema(count: number, maxChars: number) {
    return {
        type: "object",
        properties: {
            questions: {
                type: "array", minItems: count, maxItems: count,
                items: {type: "object", properties: {question: {type: "string", minLength: 1, maxLength: maxChars}}}
            }
        }
    } as const;
}
