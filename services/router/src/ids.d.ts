/** A name-based (v5-style, SHA-1) uuid: the same name always gives the same id, so a retried append is a no-op. */
export declare function uuidFrom(name: string): string;
/** The id of the `index`-th event an input (its message id) wrote to `streamId`. */
export declare const eventIdFor: (messageId: string, streamId: string, index: number) => string;
/** Serialises work per key inside one process (fewer version conflicts); other processes are kept honest by expected versions. */
export declare class KeyedLock {
    #private;
    run<T>(key: string, work: () => Promise<T>): Promise<T>;
}
