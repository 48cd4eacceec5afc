import type {EncodedConversation} from "./ChatTokenizer.js";

/**
 * Renders a conversation for `--show-mask`: trained tokens (the loss is taken on them) inside
 * [[ ]], bright; everything else dim. Brackets survive copy-paste and logs where colour does not.
 */
export function formatMask(encoded: Pick<EncodedConversation, "tokens" | "mask">, detokenize: (tokens: number[]) => string,
    options: {color?: boolean} = {}): string {
    const color = options.color ?? false;
    const dim = (s: string) => color ? `\x1b[2m${s}\x1b[22m` : s;
    const bright = (s: string) => color ? `\x1b[1;32m${s}\x1b[22;39m` : s;
    let out = "";
    let i = 0;
    const {tokens, mask} = encoded;
    while (i < tokens.length) {
        const trained = mask[i] === 1;
        let j = i;
        while (j < tokens.length && (mask[j] === 1) === trained) j++;
        const text = detokenize(Array.from(tokens.subarray(i, j)));
        out += trained ? bright("[[" + text + "]]") : dim(text);
        i = j;
    }
    return out;
}
