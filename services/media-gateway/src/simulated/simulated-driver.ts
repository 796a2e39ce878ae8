import type { Clock } from "@switchyard/clock";
import { type Random, seededRandom } from "@switchyard/clock";
import { type Audio, type LegEndReason, positionAnnouncement } from "@switchyard/routing-domain";
import type { DriverEvent, MediaDriver, OriginateRequest } from "../driver.js";
import {
  contactKey,
  type DtmfScript,
  defaultPlaybackDuration,
  type InboundCallScript,
  type MediaLogEntry,
  type MediaLogKind,
  type PhoneAttempt,
  type PhoneBehaviour,
  type PhoneScript,
  type PlaybackDuration,
  type ScriptedTransfer,
  type SimulationControls,
} from "../simulation-controls.js";
import type { StoredAudioFile, StoredAudioSource } from "../stored-audio.js";

export interface SimulatedDriverOptions {
  readonly clock: Clock;
  /** Seed or rng for scripted phones that draw their behaviour (default seed "simulated-driver"). */
  readonly rng?: Random;
  /** What an unscripted destination does (default: fails like a 404). */
  readonly defaultPhone?: PhoneScript;
  /**
   * Added to an originate's `timeoutSec` before the driver itself gives up with `noAnswer`, so that the
   * router's ring timeout (same length) cancels first (default 5 s).
   */
  readonly originateGraceSec?: number;
  /** How long a prompt plays; a stored audio file plays for its own length instead (`storedAudio`). */
  readonly playbackDuration?: PlaybackDuration;
  /** Uploaded audio files (played for their real length); absent: a stored-audio prompt is skipped. */
  readonly storedAudio?: StoredAudioSource;
  /** Gap between the digits of one DTMF script (default 0.3 s). */
  readonly interDigitSec?: number;
  readonly newInboundChannelId?: () => string;
}

export type ChannelStatus = "trying" | "ringing" | "answered" | "ended";

export interface ChannelView {
  readonly channelId: string;
  readonly direction: "inbound" | "outbound";
  readonly status: ChannelStatus;
  readonly bridgedTo?: string;
  readonly holdMusic?: Audio;
  readonly endReason?: LegEndReason;
}

interface Channel {
  readonly id: string;
  readonly direction: "inbound" | "outbound";
  status: ChannelStatus;
  readonly timers: Set<AbortController>;
  bridgedTo?: string;
  everBridged: boolean;
  holdMusic?: Audio;
  readonly playbacks: Map<string, AbortController>;
  readonly promptDtmf: DtmfScript[];
  voicemail?: { readonly recordingId: string; readonly timer: AbortController };
  endReason?: LegEndReason;
  /** Hangs up this long after the first bridge. */
  talkSec?: number;
  patience?: AbortController;
  voicemailSec?: number;
  /** The running talk timer (a caller whose talk restarts after a transfer cancels it on hold). */
  talk?: AbortController;
  talkAfterTransferSec?: number;
  /** A caller's: what the agent who first answers them does. */
  agentTransfer?: ScriptedTransfer;
  /** An agent's, once they started a warm transfer: complete it this long after the consult bridge. */
  consultSec?: number;
}

/** The simulated media driver: scripted phones and callers, everything timed by the injected clock. */
export class SimulatedDriver implements MediaDriver, SimulationControls {
  /** One command at a time: the simulated phones' results must not depend on command interleaving. */
  readonly commandConcurrency = 1;

  readonly #clock: Clock;
  readonly #rng: Random;
  readonly #defaultPhone: PhoneScript;
  readonly #graceMs: number;
  readonly #playbackMs: PlaybackDuration;
  readonly #storedAudio: StoredAudioSource | undefined;
  readonly #interDigitMs: number;
  readonly #newInboundChannelId: () => string;
  readonly #listeners = new Set<(event: DriverEvent) => void>();
  readonly #phones = new Map<string, PhoneScript>();
  readonly #attempts = new Map<string, number>();
  readonly #channels = new Map<string, Channel>();
  readonly #recordings = new Map<string, Set<string>>();
  readonly #log: MediaLogEntry[] = [];
  readonly #logByChannel = new Map<string, MediaLogEntry[]>();
  #seq = 0;
  #inbound = 0;
  #closed = false;
  #refusing = false;
  #refused = 0;

  constructor(options: SimulatedDriverOptions) {
    this.#clock = options.clock;
    this.#rng = options.rng ?? seededRandom("simulated-driver");
    this.#defaultPhone = options.defaultPhone ?? { kind: "fail", detail: "404 Not Found" };
    this.#graceMs = (options.originateGraceSec ?? 5) * 1000;
    this.#playbackMs = options.playbackDuration ?? defaultPlaybackDuration;
    this.#storedAudio = options.storedAudio;
    this.#interDigitMs = (options.interDigitSec ?? 0.3) * 1000;
    this.#newInboundChannelId = options.newInboundChannelId ?? (() => `inbound-${++this.#inbound}`);
  }

  // ---- scripting ----

  /** Scripts the phone at a number or SIP URI (replaces any previous script; attempts keep counting). */
  setPhone(numberOrUri: string, script: PhoneScript): void {
    this.#phones.set(numberOrUri, Array.isArray(script) ? [...script] : script);
  }

  /** A caller dials in; the driver reports `inboundCall` at once. Returns the inbound channel's id. */
  placeInboundCall(script: InboundCallScript): string {
    if (this.#closed) throw new Error("simulated driver is closed");
    if (this.#refusing) {
      // The simulated 503: nothing exists for the call, nothing is reported.
      this.#refused++;
      throw new CallRefusedError(script.to);
    }
    const ch = this.#newChannel(this.#newInboundChannelId(), "inbound");
    ch.status = "answered";
    ch.talkSec = script.talkSec;
    ch.voicemailSec = script.voicemailSec;
    ch.talkAfterTransferSec = script.talkAfterTransferSec;
    ch.agentTransfer = script.agentTransfer;
    this.#record(ch.id, "inbound", { detail: `${script.from} → ${script.to}` });
    this.#emit({ type: "inboundCall", channelId: ch.id, from: script.from, to: script.to, at: this.#now() });
    this.#scheduleDtmf(ch, script.dtmf ?? []);
    if (script.patienceSec !== undefined) {
      ch.patience = this.#after(ch, script.patienceSec * 1000, () => {
        if (!ch.everBridged && !ch.voicemail) this.#remoteHangup(ch, "caller abandoned");
      });
    }
    if (script.hangUpAfterSec !== undefined) {
      this.#after(ch, script.hangUpAfterSec * 1000, () => this.#remoteHangup(ch, "caller hung up"));
    }
    return ch.id;
  }

  /** The party on this channel hangs up now (a test's or simulation's own decision). */
  hangUpRemote(channelId: string, detail = "remote hangup"): void {
    const ch = this.#channels.get(channelId);
    if (ch && ch.status !== "ended") this.#remoteHangup(ch, detail);
  }

  /** The party on this channel presses digits now. */
  pressDigits(channelId: string, digits: string): void {
    const ch = this.#channels.get(channelId);
    if (ch && ch.status === "answered") this.#pressDigits(ch, digits);
  }

  // ---- inspection ----

  /** The media log, in order: of one channel, or of all. */
  mediaLog(channelId?: string): MediaLogEntry[] {
    return [...((channelId === undefined ? this.#log : this.#logByChannel.get(channelId)) ?? [])];
  }

  channel(channelId: string): ChannelView | undefined {
    const ch = this.#channels.get(channelId);
    if (!ch) return undefined;
    return {
      channelId: ch.id,
      direction: ch.direction,
      status: ch.status,
      ...(ch.bridgedTo === undefined ? {} : { bridgedTo: ch.bridgedTo }),
      ...(ch.holdMusic === undefined ? {} : { holdMusic: ch.holdMusic }),
      ...(ch.endReason === undefined ? {} : { endReason: ch.endReason }),
    };
  }

  /** Inbound calls refused since `refuseNewCalls()`. */
  refusedCalls(): number {
    return this.#refused;
  }

  /** Calls a phone has received so far. */
  attemptsOf(numberOrUri: string): number {
    return this.#attempts.get(numberOrUri) ?? 0;
  }

  /** Channels not yet ended. */
  activeChannels(): string[] {
    return [...this.#channels.values()].filter((c) => c.status !== "ended").map((c) => c.id);
  }

  // ---- MediaDriver ----

  channelExists(channelId: string): boolean {
    const ch = this.#channels.get(channelId);
    return ch !== undefined && ch.status !== "ended";
  }

  onEvent(listener: (event: DriverEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async originate(request: OriginateRequest): Promise<void> {
    if (this.#closed || this.#channels.has(request.channelId)) {
      this.#ignored(request.channelId, "originate", "channel exists");
      return;
    }
    const ch = this.#newChannel(request.channelId, "outbound");
    const key = contactKey(request.to);
    const attempt = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, attempt);
    const behaviour = this.#behaviourFor(key, {
      attempt,
      channelId: ch.id,
      to: request.to,
      callerId: request.callerId,
      at: this.#now(),
      rng: this.#rng,
    });
    this.#record(ch.id, "originated", { detail: `${key} from ${request.callerId} (${behaviour.kind})` });
    this.#after(ch, request.timeoutSec * 1000 + this.#graceMs, () => {
      if (ch.status === "trying" || ch.status === "ringing") this.#end(ch, "noAnswer", "originate timeout");
    });
    switch (behaviour.kind) {
      case "answer": {
        const answerMs = (behaviour.afterSec ?? 2) * 1000;
        this.#ringAfter(ch, behaviour.ringingAfterSec, answerMs);
        ch.talkSec = behaviour.talkSec;
        this.#after(ch, answerMs, () => {
          if (ch.status !== "trying" && ch.status !== "ringing") return;
          ch.status = "answered";
          this.#record(ch.id, "answered");
          this.#emit({ type: "answered", channelId: ch.id, at: this.#now() });
          this.#scheduleDtmf(ch, behaviour.dtmf ?? []);
          if (behaviour.hangUpAfterAnswerSec !== undefined) {
            this.#after(ch, behaviour.hangUpAfterAnswerSec * 1000, () => this.#remoteHangup(ch, "hung up"));
          }
        });
        break;
      }
      case "noAnswer":
        this.#ringAfter(ch, behaviour.ringingAfterSec, Number.POSITIVE_INFINITY);
        break;
      case "busy":
        this.#after(ch, 0, () => this.#end(ch, "busy", "486 Busy Here"));
        break;
      case "reject": {
        const rejectMs = (behaviour.afterSec ?? 1) * 1000;
        this.#ringAfter(ch, behaviour.ringingAfterSec, rejectMs);
        this.#after(ch, rejectMs, () => {
          if (ch.status === "trying" || ch.status === "ringing") this.#end(ch, "busy", "603 Decline");
        });
        break;
      }
      case "fail":
        this.#after(ch, (behaviour.afterSec ?? 0) * 1000, () => {
          if (ch.status === "trying" || ch.status === "ringing") {
            this.#end(ch, "failed", behaviour.detail ?? "503 Service Unavailable");
          }
        });
        break;
      default: {
        const unknown: never = behaviour;
        throw new Error(`unknown phone behaviour ${JSON.stringify(unknown)}`);
      }
    }
  }

  async cancel(channelId: string, reason: string): Promise<void> {
    const ch = this.#live(channelId, "cancel");
    if (!ch) return;
    // A CANCEL that crosses the 200 OK cannot undo the answer: the gateway hangs up instead.
    this.#end(ch, "cancelled", `cancel: ${reason}`);
  }

  async hangup(channelId: string, reason: string): Promise<void> {
    const ch = this.#live(channelId, "hangup");
    if (!ch) return;
    this.#end(ch, ch.status === "answered" ? "hungUp" : "cancelled", `hangup: ${reason}`);
  }

  async play(channelId: string, playbackId: string, audio: Audio): Promise<void> {
    const ch = this.#answered(channelId, "play");
    if (!ch || ch.playbacks.has(playbackId)) return;
    if (audio.kind !== "stored") {
      this.#record(ch.id, "playbackStarted", { playbackId, audio });
      this.#startPlayback(ch, playbackId, this.#playbackMs(audio, "play"), true);
      return;
    }
    // Held while the file is fetched, so a stopPlayback meanwhile (barge-in) still stops it.
    const pending = new AbortController();
    ch.playbacks.set(playbackId, pending);
    const file = await this.#stored(audio.audioId);
    if (ch.playbacks.get(playbackId) !== pending || pending.signal.aborted || ch.status !== "answered")
      return;
    ch.playbacks.delete(playbackId);
    if (typeof file === "string") {
      // As a media server skips a prompt it cannot play: the flow goes on at once.
      this.#ignored(ch.id, "play", file);
      this.#startPlayback(ch, playbackId, 0, true);
      return;
    }
    this.#record(ch.id, "playbackStarted", { playbackId, audio, durationMs: file.durationMs });
    this.#startPlayback(ch, playbackId, file.durationMs, true);
  }

  /** The stored file, or why it cannot be played. */
  async #stored(audioId: string): Promise<StoredAudioFile | string> {
    if (!this.#storedAudio) return `audio file "${audioId}": this driver has no stored audio source`;
    try {
      return await this.#storedAudio.file(audioId);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  async stopPlayback(channelId: string, playbackId: string): Promise<void> {
    const ch = this.#live(channelId, "stopPlayback");
    const timer = ch?.playbacks.get(playbackId);
    if (!ch || !timer) return;
    // Aborting the timer is what keeps the stopped playback from ever reporting playbackFinished.
    this.#cancel(ch, timer);
    ch.playbacks.delete(playbackId);
    this.#record(ch.id, "playbackStopped", { playbackId, reason: "stopped" });
  }

  async announcePosition(
    channelId: string,
    playbackId: string,
    position: number,
    expectedWaitSec?: number,
  ): Promise<void> {
    const ch = this.#answered(channelId, "announcePosition");
    if (!ch || ch.playbacks.has(playbackId)) return;
    const audio: Audio = { kind: "tts", text: positionAnnouncement(position, expectedWaitSec) };
    this.#record(ch.id, "positionAnnounced", {
      playbackId,
      position,
      audio,
      ...(expectedWaitSec === undefined ? {} : { expectedWaitSec }),
    });
    this.#startPlayback(ch, playbackId, this.#playbackMs(audio, "position"), false);
  }

  async startHoldMusic(channelId: string, audio: Audio): Promise<void> {
    const ch = this.#answered(channelId, "startHoldMusic");
    if (!ch) return;
    if (ch.holdMusic) this.#stopHold(ch, "replaced");
    if (audio.kind === "stored") {
      const file = await this.#stored(audio.audioId);
      if (ch.status !== "answered") return;
      if (typeof file === "string") {
        this.#ignored(ch.id, "startHoldMusic", file);
        return;
      }
      if (ch.holdMusic) this.#stopHold(ch, "replaced");
      ch.holdMusic = audio;
      this.#record(ch.id, "holdMusicStarted", { audio, durationMs: file.durationMs });
      return;
    }
    ch.holdMusic = audio;
    this.#record(ch.id, "holdMusicStarted", { audio });
  }

  async stopHoldMusic(channelId: string): Promise<void> {
    const ch = this.#live(channelId, "stopHoldMusic");
    if (ch?.holdMusic) this.#stopHold(ch, "stopped");
  }

  async bridge(a: string, b: string): Promise<void> {
    const x = this.#live(a, "bridge");
    const y = this.#live(b, "bridge");
    if (!x || !y || x.bridgedTo === y.id) return;
    if (x.status !== "answered" || y.status !== "answered") {
      this.#ignored(x.status !== "answered" ? x.id : y.id, "bridge", "not answered");
      return;
    }
    for (const ch of [x, y]) {
      if (ch.bridgedTo !== undefined) this.#unbridge(ch, "rebridged");
      // A bridged leg hears its peer; hold music on it stops (as uuid_bridge does).
      if (ch.holdMusic) this.#stopHold(ch, "bridged");
    }
    x.bridgedTo = y.id;
    y.bridgedTo = x.id;
    this.#record(x.id, "bridged", { peer: y.id });
    this.#record(y.id, "bridged", { peer: x.id });
    for (const ch of [x, y]) {
      const peer = ch === x ? y : x;
      if (ch.everBridged) {
        // Put through again after a transfer's hold: the caller's talk starts over.
        if (ch.talkAfterTransferSec !== undefined && !ch.talk) this.#talk(ch, ch.talkAfterTransferSec);
        // An agent who started a warm transfer, now consulting its target: completes after the consult.
        if (ch.consultSec !== undefined && peer.direction === "outbound") {
          const consultSec = ch.consultSec;
          delete ch.consultSec;
          this.#after(ch, consultSec * 1000, () => this.#agentTransfer(ch, "complete"));
        }
        continue;
      }
      ch.everBridged = true;
      ch.patience?.abort();
      if (ch.talkSec !== undefined) this.#talk(ch, ch.talkSec);
      // The caller's scripted transfer is done by the agent phone that first answers them.
      const transfer = ch.agentTransfer;
      if (transfer && ch.direction === "inbound" && peer.direction === "outbound") {
        delete ch.agentTransfer;
        this.#after(peer, transfer.afterSec * 1000, () => {
          if (peer.bridgedTo !== ch.id) return;
          if (transfer.mode === "warm") peer.consultSec = transfer.consultSec ?? 0;
          this.#agentTransfer(peer, "start", transfer);
        });
      }
    }
  }

  /** The party hangs up after talking `sec` (cancelled if a transfer puts them on hold first). */
  #talk(ch: Channel, sec: number): void {
    ch.talk = this.#after(ch, sec * 1000, () => this.#remoteHangup(ch, "talk finished"));
  }

  /** The agent's phone asks for a transfer (as a REFER or the DTMF codes would). */
  #agentTransfer(ch: Channel, action: "start" | "complete", transfer?: ScriptedTransfer): void {
    if (ch.status !== "answered") return;
    this.#record(ch.id, "transferRequested", {
      detail: transfer ? `${transfer.mode} to ${transfer.target}` : action,
    });
    const at = this.#now();
    this.#emit(
      action === "start" && transfer
        ? {
            type: "agentTransfer",
            channelId: ch.id,
            action,
            mode: transfer.mode,
            target: transfer.target,
            at,
          }
        : { type: "agentTransfer", channelId: ch.id, action: "complete", at },
    );
  }

  async unbridge(a: string, b: string): Promise<void> {
    const x = this.#channels.get(a);
    if (x?.bridgedTo === b) this.#unbridge(x, "unbridged");
    else this.#ignored(a, "unbridge", `not bridged to ${b}`);
  }

  async startRecording(recordingId: string, channelIds: readonly string[]): Promise<void> {
    if (this.#recordings.has(recordingId)) return;
    const live = channelIds.filter(
      (id) => this.#channels.get(id)?.status !== "ended" && this.#channels.has(id),
    );
    this.#recordings.set(recordingId, new Set(live));
    for (const id of live) this.#record(id, "recordingStarted", { recordingId });
  }

  async stopRecording(recordingId: string): Promise<void> {
    const legs = this.#recordings.get(recordingId);
    if (!legs) return;
    this.#recordings.delete(recordingId);
    for (const id of legs) this.#record(id, "recordingStopped", { recordingId, reason: "stopped" });
  }

  async recordVoicemail(recordingId: string, channelId: string, maxLengthSec: number): Promise<void> {
    const ch = this.#answered(channelId, "recordVoicemail");
    if (!ch || ch.voicemail) return;
    ch.patience?.abort();
    this.#record(ch.id, "voicemailStarted", { recordingId });
    const timer = this.#after(ch, maxLengthSec * 1000, () => this.#finishVoicemail(ch, "maximum length"));
    ch.voicemail = { recordingId, timer };
    if (ch.voicemailSec !== undefined && ch.voicemailSec < maxLengthSec) {
      this.#after(ch, ch.voicemailSec * 1000, () => this.#remoteHangup(ch, "hung up after the message"));
    }
  }

  refuseNewCalls(): void {
    this.#refusing = true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const ch of this.#channels.values()) for (const t of ch.timers) t.abort();
    this.#listeners.clear();
  }

  // ---- internals ----

  #now(): number {
    return this.#clock.now();
  }

  #emit(event: DriverEvent): void {
    if (this.#closed) return;
    for (const listener of this.#listeners) listener(event);
  }

  #record(channelId: string, kind: MediaLogKind, fields: Partial<MediaLogEntry> = {}): void {
    const entry: MediaLogEntry = { seq: ++this.#seq, at: this.#now(), channelId, kind, ...fields };
    this.#log.push(entry);
    const own = this.#logByChannel.get(channelId);
    if (own) own.push(entry);
    else this.#logByChannel.set(channelId, [entry]);
  }

  #ignored(channelId: string, what: string, why: string): void {
    this.#record(channelId, "ignored", { detail: `${what}: ${why}` });
  }

  #newChannel(id: string, direction: "inbound" | "outbound"): Channel {
    const ch: Channel = {
      id,
      direction,
      status: "trying",
      timers: new Set(),
      everBridged: false,
      playbacks: new Map(),
      promptDtmf: [],
    };
    this.#channels.set(id, ch);
    return ch;
  }

  #live(channelId: string, what: string): Channel | undefined {
    const ch = this.#channels.get(channelId);
    if (!ch || ch.status === "ended") {
      this.#ignored(channelId, what, ch ? "ended" : "unknown channel");
      return undefined;
    }
    return ch;
  }

  /** Media needs an answered leg: there is no early media in the simulation. */
  #answered(channelId: string, what: string): Channel | undefined {
    const ch = this.#live(channelId, what);
    if (ch && ch.status !== "answered") {
      this.#ignored(ch.id, what, "not answered");
      return undefined;
    }
    return ch;
  }

  #behaviourFor(key: string, attempt: PhoneAttempt): PhoneBehaviour {
    const script = this.#phones.get(key) ?? this.#defaultPhone;
    if (typeof script === "function") return script(attempt);
    if (Array.isArray(script)) {
      const list = script as PhoneBehaviour[];
      const head = list.length > 1 ? list.shift() : list[0];
      if (!head) throw new Error(`phone ${key} has an empty script`);
      return head;
    }
    return script as PhoneBehaviour;
  }

  /** Cancelled automatically when the channel ends. */
  #after(ch: Channel, ms: number, fn: () => void): AbortController {
    const ac = new AbortController();
    ch.timers.add(ac);
    this.#clock.sleep(ms, ac.signal).then(
      () => {
        ch.timers.delete(ac);
        if (!this.#closed && !ac.signal.aborted) fn();
      },
      () => ch.timers.delete(ac),
    );
    return ac;
  }

  /** Stops a timer of `#after` before it fires (it leaves the channel's timers at once). */
  #cancel(ch: Channel, timer: AbortController): void {
    timer.abort();
    ch.timers.delete(timer);
  }

  #ringAfter(ch: Channel, ringingAfterSec: number | undefined, beforeMs: number): void {
    const ms = (ringingAfterSec ?? 0.1) * 1000;
    if (ms >= beforeMs) return;
    this.#after(ch, ms, () => {
      if (ch.status !== "trying") return;
      ch.status = "ringing";
      this.#record(ch.id, "ringing");
      this.#emit({ type: "ringing", channelId: ch.id, at: this.#now() });
    });
  }

  #scheduleDtmf(ch: Channel, scripts: readonly DtmfScript[]): void {
    for (const s of scripts) {
      if (s.whenPrompted) ch.promptDtmf.push(s);
      else this.#after(ch, s.afterSec * 1000, () => this.#pressDigits(ch, s.digits));
    }
  }

  #pressDigits(ch: Channel, digits: string): void {
    [...digits].forEach((digit, i) => {
      const press = () => {
        if (ch.status !== "answered") return;
        this.#record(ch.id, "dtmf", { digit });
        this.#emit({ type: "dtmf", channelId: ch.id, digit, at: this.#now() });
      };
      if (i === 0) press();
      else this.#after(ch, i * this.#interDigitMs, press);
    });
  }

  #startPlayback(ch: Channel, playbackId: string, ms: number, prompt: boolean): void {
    const timer = this.#after(ch, ms, () => {
      ch.playbacks.delete(playbackId);
      this.#record(ch.id, "playbackFinished", { playbackId });
      this.#emit({ type: "playbackFinished", channelId: ch.id, playbackId, at: this.#now() });
      const next = prompt ? ch.promptDtmf.shift() : undefined;
      if (next) this.#after(ch, (next.afterSec ?? 0.5) * 1000, () => this.#pressDigits(ch, next.digits));
    });
    ch.playbacks.set(playbackId, timer);
  }

  #stopHold(ch: Channel, reason: string): void {
    this.#record(ch.id, "holdMusicStopped", { reason });
    delete ch.holdMusic;
  }

  #unbridge(ch: Channel, reason: string): void {
    const peer = ch.bridgedTo === undefined ? undefined : this.#channels.get(ch.bridgedTo);
    delete ch.bridgedTo;
    // On hold for a transfer: a caller whose talk restarts afterwards stops the clock on it.
    for (const held of [ch, peer]) {
      if (held?.talkAfterTransferSec === undefined || !held.talk) continue;
      this.#cancel(held, held.talk);
      delete held.talk;
    }
    this.#record(ch.id, "unbridged", { peer: peer?.id, reason });
    if (peer?.bridgedTo === ch.id) {
      delete peer.bridgedTo;
      this.#record(peer.id, "unbridged", { peer: ch.id, reason });
    }
  }

  #finishVoicemail(ch: Channel, reason: string): void {
    const vm = ch.voicemail;
    if (!vm) return;
    delete ch.voicemail;
    vm.timer.abort();
    this.#record(ch.id, "voicemailFinished", { recordingId: vm.recordingId, reason });
    this.#emit({ type: "recordingFinished", channelId: ch.id, recordingId: vm.recordingId, at: this.#now() });
  }

  /** The party on the channel hangs up (a fact the router did not ask for). */
  #remoteHangup(ch: Channel, detail: string): void {
    if (ch.status === "ended") return;
    // A caller hanging up mid-message still leaves the message: the recording finishes first.
    this.#finishVoicemail(ch, "caller hung up");
    // Hanging up a phone that is still ringing is declining the call.
    if (ch.status === "answered") this.#end(ch, "hungUp", detail);
    else this.#end(ch, "busy", `603 Decline (${detail})`);
  }

  #end(ch: Channel, reason: LegEndReason, detail: string): void {
    if (ch.status === "ended") return;
    ch.status = "ended";
    ch.endReason = reason;
    for (const t of ch.timers) t.abort();
    ch.timers.clear();
    for (const [playbackId] of ch.playbacks) this.#record(ch.id, "playbackStopped", { playbackId });
    ch.playbacks.clear();
    if (ch.holdMusic) this.#stopHold(ch, "ended");
    if (ch.bridgedTo !== undefined) this.#unbridge(ch, "ended");
    if (ch.voicemail) {
      this.#record(ch.id, "voicemailFinished", { recordingId: ch.voicemail.recordingId, reason: "ended" });
      delete ch.voicemail;
    }
    for (const [recordingId, legs] of this.#recordings) {
      if (!legs.delete(ch.id)) continue;
      this.#record(ch.id, "recordingStopped", { recordingId, reason: "ended" });
      if (legs.size === 0) this.#recordings.delete(recordingId);
    }
    this.#record(ch.id, "ended", { reason, detail });
    this.#emit({ type: "ended", channelId: ch.id, reason, detail, at: this.#now() });
  }
}

/** A caller dialled in while the gateway was draining: refused, as a SIP gateway answers 503. */
export class CallRefusedError extends Error {
  override readonly name = "CallRefusedError";
  constructor(to: string) {
    super(`inbound call to ${to} refused: the gateway is draining (not taking new calls)`);
  }
}
