/** The neutral name the user's macros become in a profile. */
export const neutralUserName = "User";

/**
 * Replaces the role-play front-ends' macros: {{char}} / <BOT> by the character's name, {{user}} /
 * <USER> by a neutral name, {{random:a,b}} and {{pick:a,b}} by their first option, {{newline}}
 * by a line break; every other {{...}} macro (comments, {{time}}, {{trim}}, ...) is dropped.
 */
export function stripMacros(text: string, name: string): string {
    return text
        .replace(/\{\{\s*char\s*\}\}|<BOT>/gi, name)
        .replace(/\{\{\s*user\s*\}\}|<USER>/gi, neutralUserName)
        .replace(/\{\{\s*(?:random|pick)\s*::?([^}]*)\}\}/gi, (_, options: string) => (options.includes("::") ? options.split("::") : options.split(","))[0]!.trim())
        .replace(/\{\{\s*newline\s*\}\}/gi, "\n")
        .replace(/\{\{[^{}]*\}\}/g, "")
        .replace(/[ \t]+\n/g, "\n")
        .replace(/\n{3,}/g, "\n\n")
        .trim();
}
