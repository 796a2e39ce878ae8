/** What a leg hears. `defaultTone` is the platform's built-in hold tone (never silence). */
export type Audio =
  | { readonly kind: "defaultTone" }
  | { readonly kind: "ringback" }
  | { readonly kind: "url"; readonly url: string }
  | { readonly kind: "tts"; readonly text: string };

/** Where a leg is originated to. */
export type Contact =
  | { readonly kind: "phone"; readonly number: string }
  | { readonly kind: "sip"; readonly uri: string };

export const DEFAULT_HOLD_MUSIC: Audio = { kind: "defaultTone" };
