/** Lower-cased word set; CJK text has no spaces, so each Han/kana character counts as a word. */
function words(text: string): Set<string> {
    const out = new Set<string>();
    for (const m of text.toLowerCase().matchAll(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{N}]{3,}/gu)) out.add(m[0]);
    return out;
}

const stop = new Set(["the", "and", "you", "your", "what", "who", "how", "why", "when", "where", "which", "did", "does", "was", "were",
    "are", "for", "with", "that", "this", "have", "has", "about", "from", "tell", "can", "could", "would", "like"]);

/**
 * Evidence bullets for one turn: the profile claims that share the most words with the question
 * (the facts a good answer would draw on), else the first claims when nothing overlaps, so the
 * knowledge judge always has something concrete to check the answer against.
 */
export function pickEvidence(question: string, claims: readonly string[], count = 3): string[] {
    const q = words(question);
    for (const s of stop) q.delete(s);
    const scored = claims.map((claim, index) => {
        let overlap = 0;
        for (const w of words(claim)) if (q.has(w)) overlap++;
        return {claim, index, overlap};
    });
    const matching = scored.filter((s) => s.overlap > 0).sort((a, b) => b.overlap - a.overlap || a.index - b.index);
    const picked = matching.slice(0, count).map((s) => s.claim);
    for (const c of claims) {
        if (picked.length >= count) break;
        if (!picked.includes(c)) picked.push(c);
    }
    return picked;
}
