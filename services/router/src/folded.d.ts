import type { EventStore, RecordedEvent } from "@switchyard/event-store";
export interface Folded<S> {
    readonly state: S;
    readonly version: number;
}
/**
 * Streams folded to a state at a known version, caught up incrementally (only events after the cached
 * version are read). Several readers of one stream share one read.
 */
export declare class FoldedStreams<S> {
    #private;
    private readonly store;
    private readonly initial;
    private readonly evolve;
    private readonly maxEntries;
    constructor(store: Pick<EventStore, "readStream">, initial: S, evolve: (state: S, event: {
        type: string;
        data: unknown;
    }, recorded: RecordedEvent | undefined) => S, maxEntries?: number);
    cached(streamId: string): Folded<S> | undefined;
    /**
     * Records events this process just appended on top of `base` (the state it decided from), so its own writes
     * are seen without a read. Ignored when the cache already knows a later version.
     */
    advance(streamId: string, base: Folded<S>, events: ReadonlyArray<{
        type: string;
        data: unknown;
    }>): void;
    /** The stream's state as of now (at least): reads what was appended since the cached version. */
    load(streamId: string): Promise<Folded<S>>;
}
