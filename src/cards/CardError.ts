/** What is wrong with one card file, printed as `file: problem` while the other cards go on. */
export class CardError extends Error {
    public constructor(message: string) {
        super(message);
        this.name = "CardError";
    }
}
