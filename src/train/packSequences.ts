/** One training row of exactly seqLen tokens, holding one or more whole sessions (segments). */
export type PackedRow = {
    tokens: Int32Array,
    /** token to predict at each position, -1 where no loss is taken (see TrainBatch) */
    targets: Int32Array,
    /** session index within the row; -1 on padding */
    segments: Int32Array
};

export type PackStats = {rows: number, sessions: number, truncated: number, dropped: number, tokens: number, targetTokens: number, padding: number};

/**
 * Packs tokenized sessions, in the given order, into rows of `seqLen`: a session goes into the
 * current row if it fits, else it starts a new one (the rest of the row is padding). Each session
 * is its own segment, so the engine keeps attention inside it and restarts positions at 0.
 * With `pack: false` every session gets a row of its own. A session longer than seqLen is truncated (counted in `truncated`); one that has no trained
 * token left after truncation is dropped (counted in `dropped`).
 * The target at position i is token i+1 when token i+1 is trained (mask 1), else -1.
 */
export function packSequences(sessions: readonly {tokens: Int32Array, mask: Uint8Array}[], seqLen: number, padToken = 0,
    options: {pack?: boolean} = {}): {rows: PackedRow[], stats: PackStats} {
    const pack = options.pack ?? true;
    const rows: PackedRow[] = [];
    const stats: PackStats = {rows: 0, sessions: 0, truncated: 0, dropped: 0, tokens: 0, targetTokens: 0, padding: 0};
    let row: PackedRow | undefined;
    let used = 0, segment = 0;
    const newRow = () => {
        row = {tokens: new Int32Array(seqLen).fill(padToken), targets: new Int32Array(seqLen).fill(-1), segments: new Int32Array(seqLen).fill(-1)};
        rows.push(row);
        used = 0;
        segment = 0;
    };
    for (const s of sessions) {
        let n = s.tokens.length;
        if (n > seqLen) { n = seqLen; stats.truncated++; }
        let targets = 0;
        for (let i = 1; i < n; i++) targets += s.mask[i]!;
        if (targets === 0) { stats.dropped++; continue; }
        if (!row || !pack || used + n > seqLen) newRow();
        const r = row!;
        r.tokens.set(s.tokens.subarray(0, n), used);
        r.segments.fill(segment, used, used + n);
        for (let i = 0; i + 1 < n; i++) if (s.mask[i + 1]) r.targets[used + i] = s.tokens[i + 1]!;
        used += n;
        segment++;
        stats.sessions++;
        stats.tokens += n;
        stats.targetTokens += targets;
    }
    stats.rows = rows.length;
    stats.padding = rows.length * seqLen - stats.tokens;
    return {rows, stats};
}
