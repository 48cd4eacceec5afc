/** "en" -> "English", "zh" -> "Chinese": prompts name the language in words, which small models follow better than codes. */
export function languageName(lang: string): string {
    try {
        return new Intl.DisplayNames(["en"], {type: "language"}).of(lang) ?? lang;
    } catch {
        return lang;
    }
}
