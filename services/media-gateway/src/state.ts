import type { Bus } from "@switchyard/bus";

/**
 * What a gateway must not forget when its process dies: which commands it already executed (so a
 * redelivered originate does not ring a phone twice) and which legs it owns on which driver channel (so a
 * restarted gateway can tell the calls that those legs are gone, or keep driving the ones that survived).
 */
export interface GatewayStateStore {
  /** What was recorded for a command id, if anything (expired records are gone). */
  command(commandId: string): Promise<CommandRecord | undefined>;
  /**
   * Records `executing` for a command about to run, unless anything is recorded for it already: then
   * returns what is (the caller must not execute it). Atomic, so two deliveries cannot both start it.
   */
  beginCommand(commandId: string, record: CommandRecord): Promise<CommandRecord | undefined>;
  putCommand(commandId: string, record: CommandRecord): Promise<void>;
  /** Drops a command's record (the driver refused it: a redelivery must run it). */
  forgetCommand(commandId: string): Promise<void>;
  putTie(tie: LegTie): Promise<void>;
  deleteTie(tie: LegTie): Promise<void>;
  /** Every tie recorded and not deleted. */
  ties(): Promise<LegTie[]>;
}

export interface CommandRecord {
  readonly state: "executing" | "done";
  readonly kind: string;
  readonly callId: string;
}

/**
 * A leg this gateway owns. An originated leg's channel is its leg id; a caller's inbound channel is the
 * driver's, and `legId` is unknown until the call's first command names the caller leg.
 */
export interface LegTie {
  readonly callId: string;
  readonly channelId: string;
  readonly legId?: string;
  readonly caller: boolean;
}

/** One tie per caller (keyed by call, the leg id comes later) and per originated leg. */
export function tieKey(tie: LegTie): string {
  return tie.caller
    ? `in.${encodeKeyToken(tie.callId)}`
    : `leg.${encodeKeyToken(tie.legId ?? tie.channelId)}`;
}

/**
 * KV keys allow `[-/_=.A-Za-z0-9]` and `.` separates tokens: ids are encoded so that anything else (`:` in
 * derived command ids, `@` in SIP legs) becomes `=XX` per UTF-8 byte. Reversible and still readable.
 */
export function encodeKeyToken(id: string): string {
  let out = "";
  for (const ch of id) {
    if (/^[A-Za-z0-9_-]$/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, "utf8")) out += `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out || "=";
}

/** The KV bucket of one gateway id under one bus prefix (its stream is `KV_<bucket>`). */
export function gatewayStateBucket(prefix: string, gatewayId: string): string {
  return `${prefix}_gw_${gatewayId}`;
}

/** Default command-id memory: far beyond any redelivery (maxDeliver × (ackWait + backoff) is minutes). */
export const DEFAULT_COMMAND_TTL_MS = 24 * 60 * 60 * 1000;

/** The gateway's state in a JetStream KV bucket (file storage, one value per key). */
export async function openKvGatewayState(
  bus: Pick<Bus, "keyValue" | "names">,
  gatewayId: string,
  options: { readonly ttlMs?: number; readonly bucket?: string } = {},
): Promise<GatewayStateStore & { readonly bucket: string }> {
  const bucket = options.bucket ?? gatewayStateBucket(bus.names.prefix, gatewayId);
  // The TTL is the bucket's max age: it bounds command records, and a tie untouched that long (a leg up for
  // a day) is forgotten too. An existing bucket keeps the settings it was created with.
  const kv = await bus.keyValue<unknown>(bucket, { ttlMs: options.ttlMs ?? DEFAULT_COMMAND_TTL_MS });
  const cmdKey = (commandId: string) => `cmd.${encodeKeyToken(commandId)}`;
  async function read<T>(key: string): Promise<T | undefined> {
    return (await kv.get(key))?.value as T | undefined;
  }
  return {
    bucket,
    command: (commandId) => read<CommandRecord>(cmdKey(commandId)),
    async beginCommand(commandId, record) {
      try {
        await kv.create(cmdKey(commandId), record);
        return undefined;
      } catch (err) {
        const existing = await read<CommandRecord>(cmdKey(commandId));
        if (existing) return existing;
        throw err;
      }
    },
    async putCommand(commandId, record) {
      await kv.put(cmdKey(commandId), record);
    },
    async forgetCommand(commandId) {
      await kv.delete(cmdKey(commandId));
    },
    async putTie(tie) {
      await kv.put(tieKey(tie), tie);
    },
    async deleteTie(tie) {
      await kv.delete(tieKey(tie));
    },
    async ties() {
      const keys: string[] = [];
      for (const filter of ["in.>", "leg.>"]) keys.push(...(await kv.keys(filter)));
      const out: LegTie[] = [];
      for (const k of keys) {
        const tie = await read<LegTie>(k);
        if (tie) out.push(tie);
      }
      return out;
    },
  };
}

/** State that lives as long as the object: for tests, and for a gateway that must not touch NATS KV. */
export function memoryGatewayState(): GatewayStateStore {
  const commands = new Map<string, CommandRecord>();
  const ties = new Map<string, LegTie>();
  return {
    command: async (commandId) => commands.get(commandId),
    async beginCommand(commandId, record) {
      const existing = commands.get(commandId);
      if (existing) return existing;
      commands.set(commandId, record);
      return undefined;
    },
    async putCommand(commandId, record) {
      commands.set(commandId, record);
    },
    async forgetCommand(commandId) {
      commands.delete(commandId);
    },
    async putTie(tie) {
      ties.set(tieKey(tie), tie);
    },
    async deleteTie(tie) {
      ties.delete(tieKey(tie));
    },
    ties: async () => [...ties.values()],
  };
}
