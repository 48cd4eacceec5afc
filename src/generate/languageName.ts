const names: Record<string, string> = {en: "English", zh: "Chinese", ja: "Japanese", ko: "Korean", fr: "French", de: "German",
    es: "Spanish", it: "Italian", pt: "Portuguese", ru: "Russian", ar: "Arabic"};

/** How prompts name a language ("English" for en); unknown tags are used as they are. */
export function languageName(lang: string): string {
    return names[lang.toLowerCase().split("-")[0]!] ?? lang;
}
