import {DittoError} from "../errors/DittoError.js";
import {ChatTokenizer} from "./ChatTokenizer.js";
import {formatMask} from "./formatMask.js";
import {readDataset} from "./readDataset.js";

/**
 * `ditto finetune --show-mask`: one session as the model will see it, trained tokens in [[ ]],
 * with the template name and token counts, so a wrong template or mask is visible before training.
 */
export async function showMask(modelPath: string, dataPath: string, options: {line?: number, color?: boolean} = {}): Promise<string> {
    const examples = readDataset(dataPath);
    const example = options.line === undefined ? examples[0]! : examples.find((e) => e.line === options.line);
    if (!example)
        throw new DittoError(`${dataPath}: no session on line ${options.line}`, {hint: `use a line between 1 and ${examples[examples.length - 1]!.line}`, code: "TRAIN_SHOW_MASK_LINE"});
    const tokenizer = await ChatTokenizer.load(modelPath);
    try {
        const enc = tokenizer.encode(example.messages);
        const trained = enc.mask.reduce((a, b) => a + b, 0);
        return `${dataPath}:${example.line} (${example.id}), chat template ${tokenizer.wrapperName}: ${enc.tokens.length} tokens, ${trained} trained (in [[ ]])\n\n` +
            formatMask(enc, (t) => tokenizer.detokenize(t), {color: options.color});
    } finally {
        await tokenizer.dispose();
    }
}
