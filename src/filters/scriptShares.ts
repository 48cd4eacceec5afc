/** Which writing systems a text's letters are in, as fractions of all its letters. */
export type ScriptShares = {letters: number, latin: number, han: number, kana: number, hangul: number, cyrillic: number, arabic: number, other: number};

export function scriptShares(text: string): ScriptShares {
    const n = {letters: 0, latin: 0, han: 0, kana: 0, hangul: 0, cyrillic: 0, arabic: 0, other: 0};
    for (const ch of text) {
        if (!/\p{L}/u.test(ch)) continue;
        n.letters++;
        if (/\p{Script=Latin}/u.test(ch)) n.latin++;
        else if (/\p{Script=Han}/u.test(ch)) n.han++;
        else if (/[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(ch)) n.kana++;
        else if (/\p{Script=Hangul}/u.test(ch)) n.hangul++;
        else if (/\p{Script=Cyrillic}/u.test(ch)) n.cyrillic++;
        else if (/\p{Script=Arabic}/u.test(ch)) n.arabic++;
        else n.other++;
    }
    const d = Math.max(1, n.letters);
    return {letters: n.letters, latin: n.latin / d, han: n.han / d, kana: n.kana / d, hangul: n.hangul / d, cyrillic: n.cyrillic / d, arabic: n.arabic / d, other: n.other / d};
}
