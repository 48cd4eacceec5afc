import {DittoError} from "../errors/DittoError.js";

export type OllamaTemplate = {name: "chatml" | "llama3", template: string, stop: string[]};

// Ollama's own chatml and llama3-instruct layouts, over .Messages only: Ollama puts the Modelfile's
// SYSTEM in as the first message when a request has none, so the system line appears once.
const chatml: OllamaTemplate = {
    name: "chatml",
    template: "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n",
    stop: ["<|im_start|>", "<|im_end|>"]
};
const llama3: OllamaTemplate = {
    name: "llama3",
    template: "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>\n{{- end }}<|start_header_id|>assistant<|end_header_id|>\n\n",
    stop: ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
};

/**
 * The Ollama template and stop tokens for a GGUF's chat template (`tokenizer.chat_template`):
 * ChatML (Qwen2/2.5/3) or Llama 3. Others are refused rather than guessed: a wrong template
 * would feed the adapter a layout it was never trained on.
 */
export function ollamaTemplate(chatTemplate: unknown, modelPath: string): OllamaTemplate {
    if (typeof chatTemplate !== "string" || chatTemplate.trim() === "")
        throw new DittoError(`${modelPath} has no chat template (tokenizer.chat_template)`, {hint: "use an instruct model with a ChatML (Qwen) or Llama 3 template", code: "EXPORT_TEMPLATE"});
    if (chatTemplate.includes("<|im_start|>")) return chatml;
    if (chatTemplate.includes("<|start_header_id|>")) return llama3;
    throw new DittoError(`the chat template of ${modelPath} is neither ChatML nor Llama 3, the two ditto writes Ollama templates for`,
        {hint: "export --format cards and load the model in a front-end, or write the Modelfile's TEMPLATE by hand from the model's chat template", code: "EXPORT_TEMPLATE"});
}
