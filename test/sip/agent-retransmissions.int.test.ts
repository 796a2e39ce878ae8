// The sipp agent phones of the rig absorb a retransmitted INVITE, as a phone does. On a loaded machine sipp
// answers late, drachtio-server's INVITE transaction retransmits (T1, 500 ms), and the copy reaches the agent's
// scenario while it rings or waits for the ACK of its 200 OK: sipp aborted those calls as "unexpected", the
// legs never connected, and a SIP test waiting for its calls to be bridged failed (seen in CI). Here a sipp
// caller without retransmissions of its own (-nr) sends the copies at exactly those moments, straight to the
// agent (no drachtio-server needed).
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, ManagedProcess, type SippAgent, skipSip, startSippAgent, waitFor } from "./rig/index.js";

const skip = skipSip(["sipp"]);

const invite = `<send><![CDATA[

      INVITE sip:agent@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/UDP [local_ip]:[local_port];rport;branch=z9hG4bK-copy-[call_number]
      Max-Forwards: 70
      From: <sip:+14155550100@[local_ip]>;tag=caller-[call_number]
      To: <sip:agent@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 7 INVITE
      Contact: <sip:[local_ip]:[local_port]>
      Content-Length: 0

    ]]></send>`;

const inDialog = (method: string, cseq: number, extra: string) => `<send><![CDATA[

      ${method} sip:agent@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/UDP [local_ip]:[local_port];rport;branch=z9hG4bK-${method.toLowerCase()}-[call_number]
      Max-Forwards: 70
      From: <sip:+14155550100@[local_ip]>;tag=caller-[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      ${extra}

    ]]></send>`;

const ACK_WITH_ANSWER = `Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=- 1 2 IN IP4 127.0.0.1
      s=-
      c=IN IP4 127.0.0.1
      t=0 0
      m=audio 21396 RTP/AVP 0
      a=rtpmap:0 PCMU/8000`;

/** A 3pcc caller (INVITE without an offer, as the platform sends) that repeats its INVITE where told. */
function caller(copies: { whileRinging: number; afterAnswer: number }): string {
  const again = (n: number) => Array.from({ length: n }, () => invite).join("\n  ");
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="retransmitting caller">
  ${invite}
  <recv response="100" optional="true"/>
  <recv response="180"/>
  ${again(copies.whileRinging)}
  <recv response="180" optional="true"/>
  <recv response="200"/>
  ${again(copies.afterAnswer)}
  ${inDialog("ACK", 7, ACK_WITH_ANSWER)}
  <pause milliseconds="200"/>
  ${inDialog("BYE", 8, "Content-Length: 0")}
  <recv response="200"/>
</scenario>
`;
}

describe.skipIf(skip)("sipp agent phones and retransmitted INVITEs", () => {
  let dir: string;
  let agent: SippAgent | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-sipp-retrans-"));
  });

  afterAll(async () => {
    await agent?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("an answering agent absorbs copies of the INVITE while it rings and after its 200 OK, then is answered and hung up", async () => {
    agent = await startSippAgent({ dir, name: "agent", behaviour: { kind: "answer", afterMs: 300 } });
    const cases = [
      { whileRinging: 0, afterAnswer: 0 },
      { whileRinging: 2, afterAnswer: 0 },
      { whileRinging: 0, afterAnswer: 2 },
      { whileRinging: 1, afterAnswer: 1 },
    ];
    for (const [i, copies] of cases.entries()) {
      const scenario = join(dir, `caller-${i}.xml`);
      writeFileSync(scenario, caller(copies));
      const port = await freePort(4);
      const proc = new ManagedProcess({
        name: `sipp-caller-${i}`,
        command: "sipp",
        args: [
          `127.0.0.1:${agent.port}`,
          ...["-sf", scenario, "-i", "127.0.0.1", "-p", String(port), "-mp", String(port + 2)],
          ...["-m", "1", "-nr", "-nostdin", "-timeout", "20s"],
          // The caller's own steps are not under test: the agent's 200 OK, retransmitted until the ACK, may
          // reach it on a send step (that copy is harmless to a caller that is about to ACK).
          ...["-default_behaviors", "all,-abortunexp"],
        ],
        logFile: join(dir, `caller-${i}.log`),
      });
      expect(await proc.exited, `caller ${JSON.stringify(copies)}: see ${join(dir, `caller-${i}.log`)}`).toBe(
        0,
      );
    }
    // The agent writes its events from a shell it forks per step: wait for the last call's end.
    const answering = agent;
    await waitFor(
      "every call's end at the agent",
      () => {
        const ended = [...answering.calls().values()].filter((e) => e.some((x) => x.event === "end"));
        return ended.length === cases.length ? true : undefined;
      },
      { tries: 50, everyMs: 100 },
    ).catch(() => undefined);
    const run = await agent.stop();
    agent = undefined;
    // Each event comes from its own forked shell, so two close ones may land in either order.
    const calls = [...run.calls.values()].map((events) => events.map((e) => e.event).sort());
    expect(calls).toEqual(cases.map(() => ["answered", "bye-received", "end", "invite"]));
    const errors = readFileSync(join(dir, "agent", "errors.log"), "utf8");
    expect(errors).not.toContain("Aborting call");
  });
});
