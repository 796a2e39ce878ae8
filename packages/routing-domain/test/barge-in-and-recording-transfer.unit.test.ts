import { describe, expect, it } from "vitest";
import { legCommandsFrom } from "../src/index.js";
import { connectToAnn, group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec } from "./support/world.js";

const menuWorld = () => {
  const w = worldWith({
    start: "menu",
    applets: {
      menu: {
        kind: "ivrMenu",
        prompt: { kind: "tts", text: "Press 1 for sales" },
        branches: { "1": "sales" },
        timeoutSec: 5,
        retries: 1,
        timeoutBranch: "bye",
        invalidBranch: "bye",
      },
      sales: { kind: "greeting", audio: { kind: "tts", text: "Sales is closed" } },
      bye: hangup,
    },
  });
  w.start("c1", CALLER, BUSINESS, sec(0));
  return w;
};

describe("IVR barge-in", () => {
  it("a valid digit while the prompt plays stops it in the decision that accepts the digit", () => {
    const w = menuWorld();
    const prompt = w.lastPlayback("c1");
    const caller = w.callState("c1").callerLegId;
    const d = callSpec.given(w.events("c1"), w.ctx()).when({ type: "DtmfReceived", digit: "1", now: sec(1) });
    expect(d.events.map((e) => e.type)).toEqual([
      "PlaybackStopped",
      "IvrBranchChosen",
      "AppletEntered",
      "PlaybackStarted",
    ]);
    d.thenIncludes([ev("PlaybackStopped", { playbackId: prompt, legId: caller })]);
    // The gateway is told to stop the prompt before it is told to play the next applet's audio.
    expect(legCommandsFrom(d.events).map((c) => c.kind)).toEqual(["stopPlayback", "play"]);
    expect(legCommandsFrom(d.events)[0]).toEqual({ kind: "stopPlayback", legId: caller, playbackId: prompt });
  });

  it("an invalid digit while the prompt plays stops it before the prompt is replayed", () => {
    const w = menuWorld();
    const prompt = w.lastPlayback("c1");
    const d = callSpec.given(w.events("c1"), w.ctx()).when({ type: "DtmfReceived", digit: "9", now: sec(1) });
    expect(d.events.map((e) => e.type)).toEqual(["PlaybackStopped", "IvrInputRejected", "PlaybackStarted"]);
    d.thenIncludes([ev("PlaybackStopped", { playbackId: prompt })]);
  });

  it("a digit after the prompt finished stops nothing (the prompt is over)", () => {
    const w = menuWorld();
    w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(2) });
    const d = callSpec.given(w.events("c1"), w.ctx()).when({ type: "DtmfReceived", digit: "1", now: sec(3) });
    expect(d.events.map((e) => e.type)).not.toContain("PlaybackStopped");
    expect(d.events.map((e) => e.type)).toContain("IvrBranchChosen");
  });

  it("a late PlaybackFinished for the stopped prompt is ignored (no IVR timeout is scheduled)", () => {
    const w = menuWorld();
    const prompt = w.lastPlayback("c1");
    w.run("c1", { type: "DtmfReceived", digit: "9", now: sec(1) });
    // The replayed prompt is playing; the first one's finish arrives late.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: prompt, now: sec(2) })
      .thenNothing();
    expect(w.callState("c1").applet).toMatchObject({ kind: "ivrMenu", playbackId: w.lastPlayback("c1") });
    expect(w.lastPlayback("c1")).not.toBe(prompt);
  });

  it("a late PlaybackFinished for a prompt stopped by a valid digit does not disturb the next applet", () => {
    const w = menuWorld();
    const prompt = w.lastPlayback("c1");
    w.run("c1", { type: "DtmfReceived", digit: "1", now: sec(1) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "PlaybackFinished", playbackId: prompt, now: sec(2) })
      .thenNothing();
  });
});

describe("Recording across a transfer", () => {
  const recordedTransferWorld = () => {
    const w = worldWith({
      applets: connectToAnn({ record: "on" }),
      groups: [group("tier2", "longestIdle", ["cid", "dee"])],
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
    return w;
  };

  it("blind: when the caller is bridged to B, A's segment stops and a new one names the caller and B", () => {
    const w = recordedTransferWorld();
    const first = w.callState("c1").recordingId!;
    const caller = w.callState("c1").callerLegId;
    expect(first).toBeDefined();
    w.run("c1", {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "blind",
      target: { kind: "agent", agentId: "bob" },
      now: sec(60),
    });
    const b = w.legOf("c1", "bob");
    const d = callSpec.given(w.events("c1"), w.ctx()).when({ type: "LegAnswered", legId: b, now: sec(65) });
    const types = d.events.map((e) => e.type);
    expect(types.slice(types.indexOf("LegsBridged"))).toEqual([
      "LegsBridged",
      "RecordingStopped",
      "RecordingStarted",
      "TransferCompleted",
    ]);
    d.thenIncludes([
      ev("LegsBridged", { legIds: [caller, b] }),
      ev("RecordingStopped", { recordingId: first }),
      ev("RecordingStarted", {
        legIds: [caller, b],
        reason: "recording continues across the transfer",
        continues: first,
      }),
    ]);
    w.run("c1", { type: "LegAnswered", legId: b, now: sec(65) });
    const second = w.callState("c1").recordingId!;
    expect(second).not.toBe(first);
    // The new segment is the call's recording: the end of the call stops it.
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: b, reason: "hungUp", now: sec(120) })
      .thenIncludes([ev("RecordingStopped", { recordingId: second }), ev("CallEnded")]);
  });

  it("warm: the consult with B is not a new segment; completing the transfer is", () => {
    const w = recordedTransferWorld();
    const first = w.callState("c1").recordingId!;
    const caller = w.callState("c1").callerLegId;
    w.run("c1", {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "warm",
      target: { kind: "agent", agentId: "bob" },
      now: sec(60),
    });
    const b = w.legOf("c1", "bob");
    const consult = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: b, now: sec(64) });
    expect(consult.events.map((e) => e.type)).not.toContain("RecordingStarted");
    expect(consult.events.map((e) => e.type)).not.toContain("RecordingStopped");
    w.run("c1", { type: "LegAnswered", legId: b, now: sec(64) });
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "CompleteTransfer", transferId: "t1", now: sec(90) })
      .thenIncludes([
        ev("LegsBridged", { legIds: [caller, b] }),
        ev("RecordingStopped", { recordingId: first }),
        ev("RecordingStarted", { legIds: [caller, b], continues: first }),
        ev("TransferCompleted"),
      ]);
  });

  it("an unrecorded call stays unrecorded after a transfer", () => {
    const w = worldWith({
      applets: connectToAnn(),
    });
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(3) });
    w.run("c1", {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "blind",
      target: { kind: "agent", agentId: "bob" },
      now: sec(60),
    });
    const d = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegAnswered", legId: w.legOf("c1", "bob"), now: sec(65) });
    expect(d.events.map((e) => e.type)).toContain("TransferCompleted");
    expect(d.events.map((e) => e.type).filter((t) => t.startsWith("Recording"))).toEqual([]);
  });
});
