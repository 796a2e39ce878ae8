/** What a leg hears. `defaultTone` is the platform's built-in hold tone (never silence). */
export type Audio =
  | { readonly kind: "defaultTone" }
  | { readonly kind: "ringback" }
  | { readonly kind: "url"; readonly url: string }
  | { readonly kind: "tts"; readonly text: string }
  /** An audio file uploaded through the admin API (`audio-<audioId>` stream), played for its own length. */
  | { readonly kind: "stored"; readonly audioId: string };

/** Where a leg is originated to. */
export type Contact =
  | { readonly kind: "phone"; readonly number: string }
  | { readonly kind: "sip"; readonly uri: string };

export const DEFAULT_HOLD_MUSIC: Audio = { kind: "defaultTone" };
