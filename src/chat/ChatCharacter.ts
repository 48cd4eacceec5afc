/** Who the model plays in a chat: the name and one-line description that make the system line. */
export type ChatCharacter = {label: string, description: string, lang?: string};
