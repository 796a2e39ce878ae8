/**
 * Agent DTMF codes for a warm transfer, e.g. `*2` + target digits + `#` starts it, `*3` completes it, `*4`
 * cancels it. Digits that start no code are dropped; a code's prefix waits for its next digit.
 */
export interface DtmfTransferCodes {
  /** Followed by the target's digits and `terminator`. Default `*2`. */
  readonly start: string;
  /** Default `*3`. */
  readonly complete: string;
  /** Default `*4`. */
  readonly cancel: string;
  /** Ends the target's digits. Default `#`. */
  readonly terminator: string;
}

export const DEFAULT_DTMF_TRANSFER_CODES: DtmfTransferCodes = {
  start: "*2",
  complete: "*3",
  cancel: "*4",
  terminator: "#",
};

export type DtmfTransferAction =
  | { readonly action: "start"; readonly target: string }
  | { readonly action: "complete" }
  | { readonly action: "cancel" };

export class InvalidDtmfCodesError extends Error {
  override readonly name = "InvalidDtmfCodesError";
}

export function checkDtmfCodes(codes: DtmfTransferCodes): void {
  const valid = /^[0-9A-D*#]+$/;
  for (const [name, code] of Object.entries(codes)) {
    if (!valid.test(code)) throw new InvalidDtmfCodesError(`DTMF code ${name} "${code}" is not DTMF digits`);
  }
  const { start, complete, cancel, terminator } = codes;
  if (terminator.length !== 1) throw new InvalidDtmfCodesError("the DTMF terminator must be one digit");
  const all = [start, complete, cancel];
  for (const a of all)
    for (const b of all)
      if (a !== b && b.startsWith(a))
        throw new InvalidDtmfCodesError(
          `DTMF code "${a}" is a prefix of "${b}": "${b}" could never be dialled`,
        );
  if (new Set(all).size !== all.length) throw new InvalidDtmfCodesError("DTMF transfer codes must differ");
}

/**
 * One per agent leg: feed it every digit with its platform time; it says when a code was completed. A code
 * must be dialled without pausing longer than `interDigitMs` (default 5 s) between digits: a lone `*` pressed
 * minutes earlier does not turn a later `3` into "complete".
 */
export class DtmfCodeMatcher {
  #buffer = "";
  #lastAt: number | undefined;
  constructor(
    private readonly codes: DtmfTransferCodes,
    private readonly interDigitMs = 5_000,
  ) {}

  push(digit: string, at?: number): DtmfTransferAction | undefined {
    if (at !== undefined) {
      if (this.#lastAt !== undefined && at - this.#lastAt > this.interDigitMs) this.#buffer = "";
      this.#lastAt = at;
    }
    this.#buffer += digit;
    const { start, complete, cancel, terminator } = this.codes;
    const b = this.#buffer;
    if (b === complete) return this.#done({ action: "complete" });
    if (b === cancel) return this.#done({ action: "cancel" });
    if (b.startsWith(start) && b.length > start.length) {
      if (digit === terminator) {
        const target = b.slice(start.length, -1);
        return target.length > 0 ? this.#done({ action: "start", target }) : this.#reset();
      }
      return undefined;
    }
    if ([start, complete, cancel].some((code) => code.startsWith(b))) return undefined;
    // Not a code: start again from this digit when it can begin one.
    this.#buffer = "";
    return [start, complete, cancel].some((code) => code.startsWith(digit)) ? this.push(digit) : undefined;
  }

  #done(action: DtmfTransferAction): DtmfTransferAction {
    this.#buffer = "";
    return action;
  }
  #reset(): undefined {
    this.#buffer = "";
    return undefined;
  }
}
