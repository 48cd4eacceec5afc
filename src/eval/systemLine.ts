/** The one-line system prompt of training and evaluation sessions (method.md stage 3): "You are {label}, {description}." */
export function systemLine(label: string, description: string): string {
    const d = description.trim().replace(/[.。!！]+$/u, "");
    return d ? `You are ${label}, ${d}.` : `You are ${label}.`;
}
