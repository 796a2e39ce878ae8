// A recorded period's event log, written by hand: the contact centre's config events, then calls' and
// agents' events at seconds from the period's start (the what-if extraction tests read it).
import type { ContactCentre } from "@switchyard/contact-centre";
import type { LoggedEvent } from "../../src/index.js";

export const T0 = Date.parse("2026-01-05T09:00:00Z");
export const at = (sec: number): number => T0 + sec * 1000;
export const NUMBER = "+442071234567";

type Data = Record<string, unknown>;

export function recordedLog(cc: ContactCentre) {
  const call = (id: string, type: string, data: Data = {}): LoggedEvent => ({
    streamId: `call-${id}`,
    type,
    data,
  });
  return {
    config: cc.events.map((e): LoggedEvent => ({ streamId: "config", type: e.type, data: e.data })),
    call,
    agent: (id: string, type: string, data: Data): LoggedEvent => ({ streamId: `agent-${id}`, type, data }),
    /** A caller on NUMBER, their leg `l0`. */
    started: (id: string, sec: number, from: string): LoggedEvent =>
      call(id, "CallStarted", {
        callId: id,
        from,
        to: NUMBER,
        flowId: "main",
        callerLegId: "l0",
        configVersion: cc.snapshot.version,
        at: at(sec),
      }),
  };
}
