/** One line of DIR/loss.jsonl, written after every optimizer step. */
export type LossRecord = {
    /** optimizer steps done (1-based) */
    step: number,
    /** epochs done, fractional */
    epoch: number,
    lr: number,
    /** mean cross-entropy per trained token over the step's micro-batches */
    loss: number,
    /** mean cross-entropy on the held-out set; null on steps without an evaluation */
    eval_loss: number | null,
    /** global gradient norm before clipping */
    grad_norm: number,
    /** tokens (sessions' tokens, not padding) processed so far */
    tokens: number,
    /** seconds of training so far, across resumes */
    elapsed: number
};
