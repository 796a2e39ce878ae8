import {
  type Applet,
  BUSY_STATUSES,
  type CallCommand,
  type ConfigCommand,
  nextCallerFor,
  STRATEGIES,
  type Strategy,
} from "../../src/index.js";
import { BUSINESS, sec, World } from "./world.js";

/** mulberry32: a tiny seeded PRNG so every simulated run is reproducible from one integer. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number): number => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number): boolean => next() < p,
  };
}
export type Rng = ReturnType<typeof rng>;

/** A random account: 1-5 agents in one group with a random strategy, random options, random presence. */
export function randomWorld<W extends World = World>(
  r: Rng,
  strategy: Strategy = r.pick(STRATEGIES),
  /** How the world is made from its configuration (a subclass that also keeps an event log). */
  make: (commands: ConfigCommand[]) => W = (commands) => new World(commands) as W,
): { world: W; agents: string[] } {
  const n = 1 + r.int(5);
  const agents = Array.from({ length: n }, (_, i) => `a${i}`);
  const commands: ConfigCommand[] = [
    {
      type: "ConfigureAccount",
      callerIdPassThrough: r.chance(0.5),
      recordCalls: r.chance(0.5),
      timeZone: r.pick(["UTC", "Europe/Berlin", "Asia/Kolkata"]),
    },
    ...agents.map(
      (id, i): ConfigCommand => ({
        type: "DefineAgent",
        agentId: id,
        name: id,
        contact: r.chance(0.7)
          ? { kind: "phone", number: `+1415555010${i}` }
          : { kind: "sip", uri: `sip:${id}@pbx.example.com` },
        wrapUpSec: r.pick([0, 0, 10]),
      }),
    ),
    {
      type: "DefineGroup",
      groupId: "g",
      name: "g",
      strategy,
      members: agents,
      maxRingAttempts: 1 + r.int(2),
      ringTimeoutSec: r.pick([15, 30]),
      queue: {
        enabled: r.chance(0.5),
        maxSize: 1 + r.int(3),
        announcePosition: r.chance(0.5),
        announceEverySec: 20,
        maxWaitSec: 120,
      },
    },
  ];
  const applets: Record<string, Applet> = {
    connect: {
      kind: "connect",
      target: { kind: "group", groupId: "g" },
      ...(r.chance(0.4) ? { whisper: { kind: "tts", text: "Incoming sales call" } } : {}),
      ...(r.chance(0.3) ? { holdMusic: { kind: "ringback" } } : {}),
      callerId: r.pick([
        { kind: "business" },
        { kind: "caller" },
        { kind: "custom", number: "+14155557777" },
      ] as const),
      record: r.pick(["inherit", "on", "off"] as const),
      branches: { noAnswer: "backup", busy: "vm", failed: "sorry", allAgentsBusy: "vm" },
    },
    backup: { kind: "connect", target: { kind: "agent", agentId: "a0" }, branches: { fallback: "vm" } },
    sorry: { kind: "greeting", audio: { kind: "tts", text: "Sorry" }, next: "bye" },
    vm: { kind: "voicemail", maxLengthSec: 60, next: "bye" },
    bye: { kind: "hangup" },
  };
  const world = make([
    ...commands,
    { type: "DefineFlow", flow: { flowId: "main", name: "main", start: "connect", applets } },
    { type: "DefineNumber", number: BUSINESS, flowId: "main" },
  ]);
  for (const id of agents) {
    const roll = r.int(10);
    if (roll < 6) world.agent(id, { type: "SignIn", now: sec(-r.int(3600)) });
    else if (roll < 7) {
      world.agent(id, { type: "SignIn", now: sec(-100) });
      world.agent(id, { type: "StartBreak", now: sec(-50) });
    } else if (roll < 9) {
      world.agent(id, { type: "SignIn", now: sec(-100) });
      world.agent(id, { type: "Reserve", callId: "ext", legId: "ext", now: sec(-10) });
    }
  }
  return { world, agents };
}

/** Every sensible next input for one call, given its state (leg facts, timers, playbacks, offers, transfers). */
export function candidateCommands(
  world: World,
  callId: string,
  now: number,
  agents: readonly string[],
): CallCommand[] {
  const s = world.callState(callId);
  if (s.status !== "active") return [];
  const out: CallCommand[] = [];
  for (const leg of Object.values(s.legs)) {
    if (leg.role === "caller") continue;
    if (leg.status === "originating") out.push({ type: "LegRinging", legId: leg.legId, now });
    if (leg.status === "originating" || leg.status === "ringing") {
      out.push({ type: "LegAnswered", legId: leg.legId, now });
      out.push({ type: "LegEnded", legId: leg.legId, reason: "busy", now });
      out.push({ type: "LegEnded", legId: leg.legId, reason: "noAnswer", now });
      out.push({ type: "LegEnded", legId: leg.legId, reason: "failed", now });
    }
    if (leg.status === "answered") out.push({ type: "LegEnded", legId: leg.legId, reason: "hungUp", now });
    if (leg.status === "cancelling" || leg.status === "hangingUp") {
      out.push({ type: "LegEnded", legId: leg.legId, reason: "cancelled", now });
      if (leg.status === "cancelling") out.push({ type: "LegAnswered", legId: leg.legId, now });
    }
  }
  for (const [timerId, t] of Object.entries(s.timers))
    out.push({ type: "TimerFired", timerId, now: Math.max(now, t.dueAt) });
  const a = s.applet;
  if (a && (a.kind === "greeting" || a.kind === "ivrMenu" || a.kind === "voicemail") && a.playbackId) {
    out.push({ type: "PlaybackFinished", playbackId: a.playbackId, now });
  }
  if (a?.kind === "voicemail" && a.recordingId)
    out.push({ type: "RecordingFinished", recordingId: a.recordingId, now });
  if (a?.kind === "connect" && a.whisperPlaybackId)
    out.push({ type: "PlaybackFinished", playbackId: a.whisperPlaybackId, now });
  if (a?.kind === "connect" && a.queue?.waiting) {
    for (const agentId of agents) {
      if (
        world.status(agentId) === "available" &&
        nextCallerFor(agentId, world.queues, world.config)?.callId === callId
      ) {
        out.push({ type: "OfferAgent", agentId, now });
      }
    }
    out.push({ type: "QueueChanged", now });
  }
  if (s.agentLegId && s.bridge && !s.transfer) {
    const target = agents[Math.floor(now / 1000) % agents.length]!;
    out.push({
      type: "RequestTransfer",
      transferId: `t${s.version}`,
      mode: now % 2 ? "warm" : "blind",
      target: { kind: "agent", agentId: target },
      now,
    });
  }
  if (s.transfer) out.push({ type: "CompleteTransfer", transferId: s.transfer.transferId, now });
  out.push({ type: "LegEnded", legId: s.callerLegId, reason: "hungUp", now });
  return out;
}

/**
 * Drives up to `calls` calls (at most `concurrent` at a time) through random inputs, returning after every
 * call ended or `maxSteps`. Every generated input is valid at that moment, so any refusal fails the run.
 */
export function simulate(
  world: World,
  agents: readonly string[],
  r: Rng,
  options: { calls: number; concurrent: number; maxSteps: number; afterStep?: () => void },
): { started: string[] } {
  let now = sec(0);
  const started: string[] = [];
  for (let step = 0; step < options.maxSteps; step++) {
    now += 1000 * (1 + r.int(20));
    const active = started.filter((id) => world.callState(id).status === "active");
    if (
      started.length < options.calls &&
      active.length < options.concurrent &&
      (active.length === 0 || r.chance(0.3))
    ) {
      const id = `call${started.length}`;
      started.push(id);
      world.start(id, "+442071838750", BUSINESS, now, r.chance(0.5) ? `seed-${r.int(1000)}` : undefined);
    } else if (active.length > 0) {
      const id = r.pick(active);
      const options_ = candidateCommands(world, id, now, agents);
      // Prefer progress over hanging up.
      const command = r.pick(options_.length > 1 && r.chance(0.9) ? options_.slice(0, -1) : options_);
      // Every generated input is one a real router could send at that moment: a refusal fails the run.
      world.run(id, command);
    } else if (started.length >= options.calls) {
      break;
    }
    // Agents outside our calls come and go: wrap-up ends, external calls end.
    for (const agentId of agents) {
      const st = world.presence[agentId]?.state;
      if (st?.status === "wrapUp" && st.wrapUpEndsAt !== undefined && st.wrapUpEndsAt <= now) {
        world.agent(agentId, { type: "EndWrapUp", callId: st.callId!, now });
      } else if (st?.callId === "ext" && BUSY_STATUSES.has(st.status) && r.chance(0.05)) {
        world.agent(agentId, { type: "Release", callId: "ext", now, reason: "done" });
      }
    }
    options.afterStep?.();
  }
  return { started };
}
