/** A partial event for `thenIncludes`: the type and whichever data fields matter. */
export const ev = (type: string, data?: Record<string, unknown>): Record<string, unknown> =>
  data === undefined ? { type } : { type, data };
