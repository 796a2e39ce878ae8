import { hash } from "node:crypto";

/** A name-based (v5-style, SHA-1) uuid: the same name always gives the same id, so a retried append is a no-op. */
export function uuidFrom(name: string): string {
  // One-shot hash: no Hash object per id (a router derives ~6 ids per decision).
  const h = hash("sha1", name, "buffer");
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The id of the `index`-th event an input (its message id) wrote to `streamId`. */
export const eventIdFor = (messageId: string, streamId: string, index: number): string =>
  uuidFrom(`${messageId}|${streamId}|${index}`);

/** Serialises work per key inside one process (fewer version conflicts); other processes are kept honest by expected versions. */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key) ?? Promise.resolve();
    const result = before.then(work, work);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
