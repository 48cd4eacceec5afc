/** Sizes past which a file is not taken for a character card (a real card, lorebook and all, is a few MB at most). */
export const cardLimits = {
    /** a card file (PNG or JSON) */
    fileBytes: 64 << 20,
    /** one text chunk of a PNG, and the text a compressed chunk inflates to */
    textChunkBytes: 16 << 20
} as const;
