// One decoder per message type, all from zod schemas: a message that does not have the shape of its
// contract is refused with one error class, naming the field and why. Decoders check what a consumer needs
// to act safely (ids present, known kinds, sane numbers); they return the message as it came.
import { type ZodType, z } from "zod";
import type {
  AgentInputMessage,
  CallInputMessage,
  EventMessage,
  LegCommandMessage,
  TimerMessage,
} from "./messages.js";
import { hasControlCharacters } from "./text.js";

/** A bus message that does not have the shape of its contract (consumers dead-letter it with this reason). */
export class MalformedMessageError extends Error {
  override readonly name = "MalformedMessageError";
}

const TEXT = "must be a non-empty string";
// Ids, numbers, caller ids and URIs end up in SIP headers, FreeSWITCH commands and logs: control characters
// (CR/LF, NUL...) are refused here, at the edge, and so are values longer than any real one.
const text = () =>
  z
    .string({ error: TEXT })
    .min(1, TEXT)
    .max(2048, "is longer than 2048 characters")
    .refine((v) => !hasControlCharacters(v), "must not contain control characters");
/** Words to speak: line breaks and tabs allowed, other control characters not. */
const prose = () =>
  z
    .string({ error: TEXT })
    .min(1, TEXT)
    .max(8192, "is longer than 8192 characters")
    .refine((v) => !hasControlCharacters(v, "\t\n\r"), "must not contain control characters");
const number = (error = "must be a number") => z.number({ error });
const positive = () => number("must be a positive number").positive("must be a positive number");
const object = <S extends z.core.$ZodLooseShape>(shape: S, error = "must be an object") =>
  z.object(shape, { error });

/** A tagged union whose unknown tag reads "is not <what> (<the tag>)". */
function tagged<
  const K extends string,
  const O extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]],
>(key: K, options: O, what: string) {
  return z.discriminatedUnion(key, options as never, {
    error: (iss) =>
      iss.code === "invalid_union"
        ? `is not ${what} (${JSON.stringify((iss.input as Record<string, unknown> | undefined)?.[key])})`
        : iss.code === "invalid_type"
          ? "must be an object"
          : undefined,
  }) as unknown as z.ZodType<z.infer<O[number] & ZodType>>;
}

function decoder<T>(what: string, root: string, schema: ZodType): (json: unknown) => T {
  return (json) => {
    const result = schema.safeParse(json);
    if (result.success) return json as T;
    const issue = result.error.issues[0]!;
    const path = issue.path.length === 0 ? root : `${root}.${issue.path.join(".")}`;
    throw new MalformedMessageError(`malformed ${what}: ${path} ${issue.message}`);
  };
}

// Call inputs (CALL_INPUTS: gateways' facts, admin requests, timers, offers)

const transferTarget = tagged(
  "kind",
  [
    object({ kind: z.literal("agent"), agentId: text() }),
    object({ kind: z.literal("group"), groupId: text() }),
    object({ kind: z.literal("number"), number: text() }),
  ],
  "an agent, group or number transfer target",
);
const callerId = tagged(
  "kind",
  [
    object({ kind: z.literal("business") }),
    object({ kind: z.literal("caller") }),
    object({ kind: z.literal("custom"), number: text() }),
  ],
  "a business, caller or custom caller ID option",
);
const legEndReason = z.enum(["busy", "noAnswer", "failed", "hungUp", "cancelled"], {
  error: "is not a leg end reason",
});
const callInput = tagged(
  "type",
  [
    object({ type: z.literal("StartCall"), callId: text(), from: text(), to: text() }),
    object({ type: z.literal("LegRinging"), legId: text() }),
    object({ type: z.literal("LegAnswered"), legId: text() }),
    object({ type: z.literal("LegEnded"), legId: text(), reason: legEndReason }),
    object({ type: z.literal("PlaybackFinished"), playbackId: text() }),
    object({ type: z.literal("DtmfReceived"), digit: text() }),
    object({ type: z.literal("RecordingFinished"), recordingId: text() }),
    object({ type: z.literal("TimerFired"), timerId: text() }),
    object({ type: z.literal("OfferAgent"), agentId: text() }),
    object({ type: z.literal("QueueChanged") }),
    object({
      type: z.literal("RequestTransfer"),
      transferId: text(),
      mode: z.enum(["warm", "blind"], { error: "must be warm or blind" }),
      target: transferTarget,
      callerId: callerId.optional(),
    }),
    object({ type: z.literal("CompleteTransfer"), transferId: text() }),
    object({ type: z.literal("CancelTransfer"), transferId: text() }),
    object({ type: z.literal("HangUp"), reason: text() }),
  ],
  "a call input type",
);
const callInputMessage = object(
  { messageId: text(), callId: text(), at: number(), gatewayId: text().optional(), input: callInput },
  "must be a JSON object",
).refine((m) => m.input.type !== "StartCall" || m.input.callId === m.callId, {
  message: "must equal message.callId",
  path: ["input", "callId"],
});

/** A message of `in.call.<callId>`. */
export const decodeCallInputMessage = decoder<CallInputMessage>("call input", "message", callInputMessage);

// Timers (TIMERS)

const timerMessage = object(
  {
    timerId: text(),
    callId: text(),
    dueAt: number(),
    agentId: text().optional(),
    kind: z.enum(["wrapUpEnd", "cooldownEnd"], { error: "must be wrapUpEnd or cooldownEnd" }).optional(),
  },
  "must be a JSON object",
).refine((t) => t.kind !== "cooldownEnd" || t.agentId !== undefined, {
  message: "is required by a cooldownEnd timer",
  path: ["agentId"],
});

/** A message of `timer.<callId>`. */
export const decodeTimerMessage = decoder<TimerMessage>("timer", "timer", timerMessage);

// Leg commands (LEG_COMMANDS, to one media gateway)

const audio = tagged(
  "kind",
  [
    object({ kind: z.literal("defaultTone") }),
    object({ kind: z.literal("ringback") }),
    object({ kind: z.literal("url"), url: text() }),
    object({ kind: z.literal("tts"), text: prose() }),
    object({ kind: z.literal("stored"), audioId: text() }),
  ],
  "a known audio kind",
);
const contact = tagged(
  "kind",
  [object({ kind: z.literal("phone"), number: text() }), object({ kind: z.literal("sip"), uri: text() })],
  "phone or sip",
);
const legPair = z.array(text(), { error: "must be two leg ids" }).length(2, "must be two leg ids");
const reason = z.string({ error: "must be a string" });
const legCommand = tagged(
  "kind",
  [
    object({
      kind: z.literal("originate"),
      legId: text(),
      callerId: text(),
      timeoutSec: positive(),
      to: contact,
    }),
    object({ kind: z.literal("cancel"), legId: text(), reason }),
    object({ kind: z.literal("hangup"), legId: text(), reason }),
    object({ kind: z.literal("playHoldMusic"), legId: text(), audio }),
    object({ kind: z.literal("stopHoldMusic"), legId: text() }),
    object({ kind: z.literal("play"), legId: text(), playbackId: text(), audio }),
    object({ kind: z.literal("stopPlayback"), legId: text(), playbackId: text() }),
    object({
      kind: z.literal("announcePosition"),
      legId: text(),
      playbackId: text(),
      position: number("must be a position from 1")
        .int("must be a position from 1")
        .min(1, "must be a position from 1"),
      expectedWaitSec: number("must be a number of seconds").min(0, "must be a number of seconds").optional(),
    }),
    object({ kind: z.literal("bridge"), legIds: legPair }),
    object({ kind: z.literal("unbridge"), legIds: legPair }),
    object({
      kind: z.literal("startRecording"),
      recordingId: text(),
      legIds: z.array(text(), { error: "must be leg ids" }),
    }),
    object({ kind: z.literal("stopRecording"), recordingId: text() }),
    object({
      kind: z.literal("recordVoicemail"),
      recordingId: text(),
      legId: text(),
      maxLengthSec: positive(),
    }),
  ],
  "a known leg command",
);
const legCommandMessage = object(
  { commandId: text(), callId: text(), callerLegId: text(), at: number(), command: legCommand },
  "must be an object",
);

/** A message of `legcmd.<gatewayId>`: anything a gateway could never execute is refused. */
export const decodeLegCommandMessage = decoder<LegCommandMessage>(
  "leg command",
  "message",
  legCommandMessage,
);

// Agent inputs (AGENT_INPUTS)

const agentInput = tagged(
  "type",
  [
    object({ type: z.literal("SignIn") }),
    object({ type: z.literal("SignOut") }),
    object({ type: z.literal("StartBreak"), reason: z.string({ error: "must be a string" }).optional() }),
    object({ type: z.literal("EndBreak") }),
    object({ type: z.literal("GoOffline") }),
    object({ type: z.literal("EndWrapUp"), callId: text() }),
  ],
  "an agent input",
);
const agentInputMessage = object(
  { messageId: text(), agentId: text(), at: number(), input: agentInput },
  "must be a JSON object",
);

/** A message of `in.agent.<agentId>`. */
export const decodeAgentInputMessage = decoder<AgentInputMessage>(
  "agent input",
  "message",
  agentInputMessage,
);

// Events (EVENTS `evt.<stream>`: the relay's copy of the log). The envelope is checked; the event's data is
// the domain's, written by a decider and read back by its evolve.

const digits = (what: string) => z.string({ error: `must be ${what}` }).regex(/^[0-9]+$/, `must be ${what}`);
const eventMessage = object(
  {
    id: text(),
    streamId: text(),
    version: number("must be a positive integer")
      .int("must be a positive integer")
      .positive("must be a positive integer"),
    type: text(),
    data: z.unknown(),
    metadata: z.record(z.string(), z.unknown(), { error: "must be an object" }),
    recordedAt: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time" }),
    position: digits("a decimal position"),
    transactionId: digits("a decimal transaction id"),
  },
  "must be a JSON object",
);

/** A message of `evt.<streamId>` on EVENTS. */
export const decodeEventMessage = decoder<EventMessage>("event", "event", eventMessage);
