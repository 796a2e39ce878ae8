export declare const INSTRUMENTED_MODULES: readonly string[];
export declare function registerInstrumentationHooks(): void;
