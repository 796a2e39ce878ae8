// What survives the gateway process: the dialog and FreeSWITCH channel of every answered leg, so that the
// next process ends what a killed one left (see DrachtioDriver's `stateDir`).
//
// One append-only file per process (`legs-<boot>.jsonl`): a line when a leg is up (again when its endpoint
// changes) and a line when it is down, each one write(2) from the event loop. The previous layout, a small
// file per leg written and removed through the thread pool, cost four file-system calls and as many
// thread-pool round trips per leg: about a tenth of the gateway's CPU at 30 calls/s. Nothing is fsync-ed, as
// before: the records are for a killed process, whose writes the kernel keeps; a machine crash takes
// drachtio-server and FreeSWITCH, and so the legs, with it.
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/** One answered leg, as the next process needs it to end the leg. */
export interface LegRecord {
  readonly channelId: string;
  /** drachtio-server's id of the phone's dialog (it outlives the app's connection). */
  readonly dialogId: string;
  readonly callId: string;
  /** FreeSWITCH channel of the leg's endpoint; none while its media is released (phone to phone). */
  readonly endpointUuid?: string;
  readonly endpointDialogId?: string;
  readonly boot: string;
}

/** A journal line (`up` or `down`), or an earlier version's whole file (the record itself). */
type Line = { readonly up?: LegRecord; readonly down?: string } & Partial<LegRecord>;

const JOURNAL = /^legs-.+\.jsonl$/;

/** The legs a journal (or an earlier version's one-record file) leaves up, last record per leg. */
function legsUpIn(text: string, live: Map<string, LegRecord>): void {
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue;
    let line: Line;
    try {
      line = JSON.parse(raw);
    } catch {
      continue; // a line torn by the kill: the leg it was about is told by the line before, if any
    }
    if (typeof line.down === "string") live.delete(line.down);
    else if (line.up && typeof line.up.channelId === "string") live.set(line.up.channelId, line.up);
    else if (typeof line.channelId === "string") live.set(line.channelId, line as LegRecord);
  }
}

/** What earlier processes left in `dir`: the legs still up, and the files to remove once they are ended. */
export function leftBehind(dir: string, except: string): { legs: LegRecord[]; files: string[] } {
  const files = readdirSync(dir)
    .filter((f) => (JOURNAL.test(f) || f.endsWith(".json")) && f !== except)
    .map((f) => join(dir, f));
  const live = new Map<string, LegRecord>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    legsUpIn(text, live);
  }
  return { legs: [...live.values()], files };
}

export function removeFiles(files: readonly string[]): void {
  for (const f of files) rmSync(f, { force: true });
}

/** This process's journal. Writes never throw: a failure is reported to `onError` and the leg goes on. */
export class LegJournal {
  readonly file: string;
  readonly #path: string;
  readonly #onError: (error: unknown, channelId: string) => void;
  readonly #live = new Map<string, string>();
  #fd: number | undefined;
  #lines = 0;
  #closed = false;

  constructor(dir: string, boot: string, onError: (error: unknown, channelId: string) => void) {
    this.file = `legs-${boot}.jsonl`;
    this.#path = join(dir, this.file);
    this.#onError = onError;
  }

  up(record: LegRecord): void {
    const line = `${JSON.stringify({ up: record })}\n`;
    if (this.#write(line, record.channelId)) this.#live.set(record.channelId, line);
  }

  down(channelId: string): void {
    if (!this.#live.delete(channelId)) return;
    this.#write(`${JSON.stringify({ down: channelId })}\n`, channelId);
    // Rewritten with the legs up only, once mostly history: bounded by the legs up, not by the calls taken.
    if (this.#lines > Math.max(1_024, 4 * this.#live.size)) this.#compact(channelId);
  }

  /** Legs recorded up and not down yet. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * Closes the file, leaving it as it is for the next process; nothing is written after (a detached driver
   * leaves its legs recorded as a killed process would, whatever still ends after).
   */
  close(): void {
    this.#closed = true;
    this.#closeFile();
  }

  #closeFile(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #write(line: string, channelId: string): boolean {
    if (this.#closed) return false;
    try {
      this.#fd ??= openSync(this.#path, "a");
      writeSync(this.#fd, line);
      this.#lines++;
      return true;
    } catch (err) {
      this.#onError(err, channelId);
      return false;
    }
  }

  #compact(channelId: string): void {
    // The new file replaces the old one in one rename: a kill at any point leaves one of the two, whole.
    const tmp = `${this.#path}.tmp`;
    try {
      writeFileSync(tmp, [...this.#live.values()].join(""));
      renameSync(tmp, this.#path);
      this.#closeFile();
      this.#lines = this.#live.size;
    } catch (err) {
      this.#onError(err, channelId);
    }
  }
}
