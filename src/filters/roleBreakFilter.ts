import type {TurnFilter} from "./TurnFilter.js";

/** Phrases by which a model steps out of its role. */
const breaks = [
    /\bas an? (ai|artificial intelligence|language model|assistant|chatbot)\b/i,
    /\b(large )?language model\b/i,
    /\bI(?: am|'m) (?:an? )?(?:ai|artificial intelligence|virtual assistant|chatbot)\b/i,
    /\bI (?:do not|don't) have personal (?:experiences|opinions|feelings)\b/i,
    /作为(?:一个|一名)?(?:人工智能|AI|ai|语言模型|助手)/,
    /(?:我是|我只是)(?:一个|一名)?(?:人工智能|AI|ai|语言模型|聊天机器人)/,
    /语言模型/
];

/** Ways of naming oneself that are fine in first person ("I am X", "我是X"). */
const selfIntro = /(?:\bI am|\bI'm|\bmy name is|\bcall me|\bcalled|我是|我叫|我名叫|叫我)\s*$/i;

/**
 * Drops answers that break role: the assistant voice ("as an AI", "language model") or speaking of
 * the character in the third person by its own name (method.md: answers do not restate the name).
 */
export function roleBreakFilter(): TurnFilter {
    return {name: "role_break", check: ({turn, character}) => {
        for (const re of breaks) {
            const m = re.exec(turn.answer);
            if (m) return `steps out of role: "${m[0]}"`;
        }
        const label = character.label.trim();
        if (label.length >= 2) {
            const lower = turn.answer.toLowerCase();
            for (let at = lower.indexOf(label.toLowerCase()); at >= 0; at = lower.indexOf(label.toLowerCase(), at + 1))
                if (!selfIntro.test(turn.answer.slice(Math.max(0, at - 16), at))) return `names itself in the third person ("${label}")`;
        }
        return undefined;
    }};
}
