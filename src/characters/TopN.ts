/**
 * The N largest items by score seen so far, in a min-heap: memory stays at N items however long
 * the stream (a Wikidata dump has a hundred million entities).
 */
export class TopN<T> {
    private readonly heap: {score: number, tie: string, item: T}[] = [];

    public constructor(public readonly n: number) {}

    /** Smaller first: lower score, then the larger tie key (so among equal scores the smaller key stays). */
    private less(a: {score: number, tie: string}, b: {score: number, tie: string}): boolean {
        return a.score < b.score || (a.score === b.score && a.tie > b.tie);
    }

    /** Would an item with this score enter? (checked before building the item, which is the costly part) */
    public accepts(score: number, tie: string): boolean {
        return this.n > 0 && (this.heap.length < this.n || this.less(this.heap[0]!, {score, tie}));
    }

    public push(score: number, tie: string, item: T): void {
        if (!this.accepts(score, tie)) return;
        const h = this.heap;
        if (h.length < this.n) {
            h.push({score, tie, item});
            for (let i = h.length - 1; i > 0;) {
                const p = (i - 1) >> 1;
                if (!this.less(h[i]!, h[p]!)) break;
                [h[i], h[p]] = [h[p]!, h[i]!];
                i = p;
            }
            return;
        }
        h[0] = {score, tie, item};
        for (let i = 0; ;) {
            const l = 2 * i + 1, r = l + 1;
            let m = i;
            if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
            if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
            if (m === i) break;
            [h[i], h[m]] = [h[m]!, h[i]!];
            i = m;
        }
    }

    /** Largest first. */
    public items(): T[] {
        return [...this.heap].sort((a, b) => this.less(a, b) ? 1 : this.less(b, a) ? -1 : 0).map((e) => e.item);
    }
}
