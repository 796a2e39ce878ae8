// Audio for the rig: tones and silence made with sox (8 kHz mono 16-bit WAV, what baresip's aufile and
// FreeSWITCH's PCMU legs use), and the analysis of recordings: the dominant frequency of each window by FFT
// (Hann window, parabolic peak interpolation), merged into segments ("0.0–2.0 s 440 Hz, 2.0–3.9 s 880 Hz").
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

export class WavFormatError extends Error {
  override name = "WavFormatError";
}

/** A sine tone at `hz` for `seconds` (half scale). */
export async function makeTone(path: string, hz: number, seconds: number): Promise<string> {
  await run("sox", [
    "-n",
    "-r",
    "8000",
    "-c",
    "1",
    "-b",
    "16",
    path,
    "synth",
    String(seconds),
    "sine",
    String(hz),
    "vol",
    "0.5",
  ]);
  return path;
}

/** Tones one after the other, e.g. [{hz: 440, seconds: 2}, {hz: 880, seconds: 2}]; hz 0 = silence. */
export async function makeToneSequence(
  path: string,
  parts: ReadonlyArray<{ hz: number; seconds: number }>,
): Promise<string> {
  const pieces: string[] = [];
  for (const [i, p] of parts.entries()) {
    const piece = `${path}.part${i}.wav`;
    if (p.hz === 0) await makeSilence(piece, p.seconds);
    else await makeTone(piece, p.hz, p.seconds);
    pieces.push(piece);
  }
  // sox concatenates its inputs into the output.
  await run("sox", [...pieces, path]);
  return path;
}

export async function makeSilence(path: string, seconds: number): Promise<string> {
  await run("sox", ["-n", "-r", "8000", "-c", "1", "-b", "16", path, "trim", "0", String(seconds)]);
  return path;
}

export interface Wav {
  readonly rate: number;
  readonly channels: number;
  readonly samples: Float32Array;
  readonly seconds: number;
}

/**
 * Reads a PCM 16-bit WAV: one channel (0-based), or by default all channels mixed (FreeSWITCH records a call
 * in stereo, one party per channel).
 */
export function readWav(path: string, { channel = "mix" }: { channel?: number | "mix" } = {}): Wav {
  const buf = readFileSync(path);
  if (buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new WavFormatError(`${path} is not a RIFF/WAVE file`);
  }
  let offset = 12;
  let rate = 0;
  let channels = 1;
  let bits = 16;
  let format = 1;
  while (offset + 8 <= buf.length) {
    const id = buf.toString("ascii", offset, offset + 4);
    // A header written before the recording ended may say 0 or 0xFFFFFFFF: take what is there.
    let size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "fmt ") {
      format = buf.readUInt16LE(body);
      channels = buf.readUInt16LE(body + 2);
      rate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
    } else if (id === "data") {
      if (size === 0 || body + size > buf.length) size = buf.length - body;
      if ((format !== 1 && format !== 0xfffe) || bits !== 16) {
        throw new WavFormatError(`${path}: only 16-bit PCM is read (format ${format}, ${bits} bits)`);
      }
      const frames = Math.floor(size / (2 * channels));
      const samples = new Float32Array(frames);
      const sample = (i: number, c: number) => buf.readInt16LE(body + (i * channels + c) * 2) / 32768;
      for (let i = 0; i < frames; i++) {
        if (channel === "mix") {
          let sum = 0;
          for (let c = 0; c < channels; c++) sum += sample(i, c);
          samples[i] = sum / channels;
        } else {
          samples[i] = sample(i, Math.min(channel, channels - 1));
        }
      }
      return { rate, channels, samples, seconds: frames / rate };
    }
    offset = body + size + (size % 2);
  }
  throw new WavFormatError(`${path}: no data chunk`);
}

function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

export interface AudioWindow {
  readonly start: number;
  readonly end: number;
  /** Dominant frequency, or null when the window is quiet (RMS below the threshold). */
  readonly hz: number | null;
  readonly rms: number;
}

/**
 * The dominant frequency of each `windowSec` window. Quiet windows (RMS < `quietRms`, full scale 1.0; FreeSWITCH's
 * comfort noise and sox's dither sit far below 0.01) have hz null.
 */
export function dominantFrequencies(
  wav: Wav,
  { windowSec = 0.1, quietRms = 0.01 }: { windowSec?: number; quietRms?: number } = {},
): AudioWindow[] {
  const size = Math.max(16, Math.round(wav.rate * windowSec));
  let n = 1;
  while (n < size * 4) n <<= 1; // zero-padding: finer bins for short windows
  const out: AudioWindow[] = [];
  for (let from = 0; from + size <= wav.samples.length; from += size) {
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    let energy = 0;
    for (let i = 0; i < size; i++) {
      const x = wav.samples[from + i]!;
      energy += x * x;
      re[i] = x * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1)));
    }
    const rms = Math.sqrt(energy / size);
    let hz: number | null = null;
    if (rms >= quietRms) {
      fft(re, im);
      const mag = (k: number) => Math.hypot(re[k]!, im[k]!);
      const minBin = Math.ceil((50 * n) / wav.rate); // skip DC and mains hum
      let best = minBin;
      for (let k = minBin; k < n / 2; k++) if (mag(k) > mag(best)) best = k;
      const [a, b, c] = [mag(best - 1), mag(best), mag(best + 1)];
      const shift = a - 2 * b + c === 0 ? 0 : (0.5 * (a - c)) / (a - 2 * b + c);
      hz = ((best + shift) * wav.rate) / n;
    }
    out.push({ start: from / wav.rate, end: (from + size) / wav.rate, hz, rms });
  }
  return out;
}

export interface AudioSegment {
  readonly start: number;
  readonly end: number;
  /** Mean dominant frequency of the segment, null for quiet. */
  readonly hz: number | null;
}

/** Consecutive windows with the same frequency (within `toleranceHz`) or all quiet, merged. */
export function segments(windows: readonly AudioWindow[], toleranceHz = 15): AudioSegment[] {
  const out: Array<{ start: number; end: number; hz: number | null; sum: number; count: number }> = [];
  for (const w of windows) {
    const last = out.at(-1);
    const same =
      last !== undefined &&
      ((last.hz === null && w.hz === null) ||
        (last.hz !== null && w.hz !== null && Math.abs(last.sum / last.count - w.hz) <= toleranceHz));
    if (same && last !== undefined) {
      last.end = w.end;
      if (w.hz !== null) {
        last.sum += w.hz;
        last.count++;
      }
    } else {
      out.push({ start: w.start, end: w.end, hz: w.hz, sum: w.hz ?? 0, count: w.hz === null ? 0 : 1 });
    }
  }
  return out.map((s) => ({ start: s.start, end: s.end, hz: s.hz === null ? null : s.sum / s.count }));
}

/**
 * Segments of a recording, dropping blips shorter than `minSec` (a window straddling a switch between two tones
 * can show a third frequency).
 */
export function analyse(path: string, { windowSec = 0.1, minSec = 0.25 } = {}): AudioSegment[] {
  const merged = segments(dominantFrequencies(readWav(path), { windowSec }));
  return segments(
    merged
      .filter((s) => s.end - s.start >= minSec)
      .map((s) => ({ start: s.start, end: s.end, hz: s.hz, rms: 1 })),
  );
}

/** "0.0–2.0 s 440 Hz, 2.0–2.4 s quiet". */
export function describe(segs: readonly AudioSegment[]): string {
  if (segs.length === 0) return "nothing";
  return segs
    .map(
      (s) =>
        `${s.start.toFixed(1)}–${s.end.toFixed(1)} s ${s.hz === null ? "quiet" : `${Math.round(s.hz)} Hz`}`,
    )
    .join(", ");
}

/** The frequencies heard (rounded, in order of first appearance, quiet left out). */
export function tonesHeard(segs: readonly AudioSegment[], toleranceHz = 15): number[] {
  const out: number[] = [];
  for (const s of segs) {
    if (s.hz === null) continue;
    if (!out.some((hz) => Math.abs(hz - s.hz!) <= toleranceHz)) out.push(Math.round(s.hz));
  }
  return out;
}

/** Whether `hz` was heard for at least `minSec` in total. */
export function heard(
  segs: readonly AudioSegment[],
  hz: number,
  { toleranceHz = 15, minSec = 0.3 } = {},
): boolean {
  const total = segs
    .filter((s) => s.hz !== null && Math.abs(s.hz - hz) <= toleranceHz)
    .reduce((t, s) => t + (s.end - s.start), 0);
  return total >= minSec;
}

/** Start time (s) of the first segment at `hz`, or undefined. */
export function firstHeardAt(
  segs: readonly AudioSegment[],
  hz: number,
  toleranceHz = 15,
): number | undefined {
  return segs.find((s) => s.hz !== null && Math.abs(s.hz - hz) <= toleranceHz)?.start;
}

/**
 * Per window, the share of the window's spectral power within ±`bandHz` of each frequency: shows a mix (a
 * recording of two parties holds both tones at once, which the dominant frequency alone cannot show).
 */
export function bandShares(
  wav: Wav,
  frequencies: readonly number[],
  { windowSec = 0.25, bandHz = 20, quietRms = 0.01 } = {},
): Array<{ start: number; end: number; shares: number[] }> {
  const size = Math.max(16, Math.round(wav.rate * windowSec));
  let n = 1;
  while (n < size) n <<= 1;
  const out: Array<{ start: number; end: number; shares: number[] }> = [];
  for (let from = 0; from + size <= wav.samples.length; from += size) {
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    let energy = 0;
    for (let i = 0; i < size; i++) {
      const x = wav.samples[from + i]!;
      energy += x * x;
      re[i] = x * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1)));
    }
    if (Math.sqrt(energy / size) < quietRms) {
      out.push({ start: from / wav.rate, end: (from + size) / wav.rate, shares: frequencies.map(() => 0) });
      continue;
    }
    fft(re, im);
    const power = (k: number) => re[k]! * re[k]! + im[k]! * im[k]!;
    let total = 0;
    for (let k = 1; k < n / 2; k++) total += power(k);
    const shares = frequencies.map((hz) => {
      const lo = Math.max(1, Math.floor(((hz - bandHz) * n) / wav.rate));
      const hi = Math.min(n / 2 - 1, Math.ceil(((hz + bandHz) * n) / wav.rate));
      let sum = 0;
      for (let k = lo; k <= hi; k++) sum += power(k);
      return total === 0 ? 0 : sum / total;
    });
    out.push({ start: from / wav.rate, end: (from + size) / wav.rate, shares });
  }
  return out;
}

export interface TimelineEntry {
  readonly start: number;
  readonly end: number;
  /** The label of a known tone, "speech or other sound" for loud audio with no known tone, or "silence". */
  readonly what: string;
}

/**
 * What a recording holds, in words: each 0.1 s window is the known tone it is dominated by (±15 Hz of one of
 * `tones`), else loud audio without a steady known tone ("speech or other sound"), else silence; runs of the
 * same label are merged and runs shorter than `minSec` are folded into the run before them.
 */
export function timeline(
  path: string,
  tones: Readonly<Record<number, string>>,
  { windowSec = 0.1, minSec = 0.3, toleranceHz = 15 } = {},
): TimelineEntry[] {
  const known = Object.entries(tones).map(([hz, label]) => ({ hz: Number(hz), label }));
  const labelled = dominantFrequencies(readWav(path), { windowSec }).map((w) => ({
    start: w.start,
    end: w.end,
    what:
      w.hz === null
        ? "silence"
        : (known.find((k) => Math.abs(k.hz - w.hz!) <= toleranceHz)?.label ?? "speech or other sound"),
  }));
  const runs: Array<{ start: number; end: number; what: string }> = [];
  for (const w of labelled) {
    const last = runs.at(-1);
    if (last && last.what === w.what) last.end = w.end;
    else runs.push({ ...w });
  }
  const out: Array<{ start: number; end: number; what: string }> = [];
  for (const r of runs) {
    const last = out.at(-1);
    if (last && (r.end - r.start < minSec || last.what === r.what)) last.end = r.end;
    else out.push({ ...r });
  }
  return out;
}

export function describeTimeline(entries: readonly TimelineEntry[]): string {
  if (entries.length === 0) return "nothing";
  return entries.map((e) => `${e.start.toFixed(1)}–${e.end.toFixed(1)} s ${e.what}`).join("; ");
}
