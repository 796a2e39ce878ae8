import type { CallInput, CallInputMessage, TimerMessage } from "@switchyard/contracts";

/** A bus message that does not have the shape of its contract: dead-lettered with this reason. */
export class MalformedMessageError extends Error {
  override readonly name = "MalformedMessageError";
}

const LEG_END_REASONS = new Set(["busy", "noAnswer", "failed", "hungUp", "cancelled"]);
const TRANSFER_TARGETS: Record<string, string> = { agent: "agentId", group: "groupId", number: "number" };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function str(o: Json, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== "string" || v === "")
    throw new MalformedMessageError(`${where}.${key} must be a non-empty string`);
  return v;
}

/** String fields each input type needs (besides `type`). */
const INPUT_FIELDS: Record<CallInput["type"], readonly string[]> = {
  StartCall: ["callId", "from", "to"],
  LegRinging: ["legId"],
  LegAnswered: ["legId"],
  LegEnded: ["legId", "reason"],
  PlaybackFinished: ["playbackId"],
  DtmfReceived: ["digit"],
  RecordingFinished: ["recordingId"],
  TimerFired: ["timerId"],
  OfferAgent: ["agentId"],
  QueueChanged: [],
  RequestTransfer: ["transferId", "mode"],
  CompleteTransfer: ["transferId"],
  CancelTransfer: ["transferId"],
  HangUp: ["reason"],
};

export function decodeCallInput(json: unknown): CallInputMessage {
  if (!isObject(json)) throw new MalformedMessageError("call input must be a JSON object");
  str(json, "messageId", "message");
  const callId = str(json, "callId", "message");
  if (typeof json.at !== "number") throw new MalformedMessageError("message.at must be a number");
  if (json.gatewayId !== undefined) str(json, "gatewayId", "message");
  const input = json.input;
  if (!isObject(input)) throw new MalformedMessageError("message.input must be an object");
  const type = input.type;
  if (typeof type !== "string" || !Object.hasOwn(INPUT_FIELDS, type)) {
    throw new MalformedMessageError(`unknown call input type ${JSON.stringify(type)}`);
  }
  for (const field of INPUT_FIELDS[type as CallInput["type"]]) str(input, field, "input");
  if (type === "StartCall" && input.callId !== callId) {
    throw new MalformedMessageError("input.callId must equal message.callId");
  }
  if (type === "LegEnded" && !LEG_END_REASONS.has(input.reason as string)) {
    throw new MalformedMessageError(`input.reason ${JSON.stringify(input.reason)} is not a leg end reason`);
  }
  if (type === "RequestTransfer") {
    if (input.mode !== "warm" && input.mode !== "blind") {
      throw new MalformedMessageError("input.mode must be warm or blind");
    }
    const target = input.target;
    if (
      !isObject(target) ||
      typeof target.kind !== "string" ||
      !Object.hasOwn(TRANSFER_TARGETS, target.kind)
    ) {
      throw new MalformedMessageError("input.target must be an agent, group or number target");
    }
    str(target, TRANSFER_TARGETS[target.kind]!, "input.target");
    const callerId = input.callerId;
    if (callerId !== undefined) {
      if (!isObject(callerId) || !["business", "caller", "custom"].includes(callerId.kind as string)) {
        throw new MalformedMessageError(
          "input.callerId must be a business, caller or custom caller ID option",
        );
      }
      if (callerId.kind === "custom") str(callerId, "number", "input.callerId");
    }
  }
  return json as unknown as CallInputMessage;
}

export function decodeTimer(json: unknown): TimerMessage {
  if (!isObject(json)) throw new MalformedMessageError("timer must be a JSON object");
  str(json, "timerId", "timer");
  str(json, "callId", "timer");
  if (typeof json.dueAt !== "number") throw new MalformedMessageError("timer.dueAt must be a number");
  if (json.agentId !== undefined) str(json, "agentId", "timer");
  if (json.kind !== undefined && json.kind !== "wrapUpEnd" && json.kind !== "cooldownEnd") {
    throw new MalformedMessageError("timer.kind must be wrapUpEnd or cooldownEnd");
  }
  if (json.kind === "cooldownEnd" && json.agentId === undefined) {
    throw new MalformedMessageError("a cooldownEnd timer needs an agentId");
  }
  return json as unknown as TimerMessage;
}
