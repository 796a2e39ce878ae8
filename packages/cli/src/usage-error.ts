/** A command used wrongly (exit status 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
