// sipp scenario XML for the rig's callers (UAC) and agents (UAS). Every scenario appends one line per event of
// a call to an events file through <exec> (sipp's own message log is buffered until it exits, and tests need
// to see a CANCEL or an answer while the run goes on): `<epoch ms>\t<call id>\t<event>\t<detail>`.
import { join } from "node:path";
import { SIPP_PCAP_DIR } from "./tools.js";

export type DtmfMode = "info" | "rfc2833";

export interface DtmfPlan {
  /** Wait after the call is answered (ms). */
  readonly afterMs: number;
  readonly digits: string;
  readonly mode: DtmfMode;
  /** Gap between digits (ms). */
  readonly gapMs?: number;
}

/** What a sipp agent (UAS) does with each INVITE. */
export type AgentBehaviour =
  | {
      readonly kind: "answer";
      /** Ringing time before the 200 OK; a CANCEL in that time ends the call (200 + 487). */
      readonly afterMs: number;
      /** Hang up (BYE) this long after the ACK unless the other side hangs up first; default: wait for BYE. */
      readonly holdMs?: number;
      readonly dtmf?: readonly DtmfPlan[];
    }
  | { readonly kind: "reject"; readonly status: number; readonly afterMs?: number }
  | { readonly kind: "never-answer" };

export interface CallerPlan {
  /** How long to wait for the final response (ms). */
  readonly answerTimeoutMs?: number;
  /** After the answer: hang up after this long unless the far end hangs up first (ms). */
  readonly holdMs: number;
  /** Cancel the INVITE this long after sending it when no final response came (hang up while ringing). */
  readonly cancelAfterMs?: number;
  readonly dtmf?: readonly DtmfPlan[];
  /** From user part; sipp keywords allowed (default `+1999000[call_number]`, unique per call). */
  readonly fromUser?: string;
}

const SDP = `v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=sendrecv`;

/** How often a call that waits for its hold time to pass looks at the clock (ms). */
const HOLD_POLL_MS = 250;

/**
 * The wait of an answered call: the far end's BYE, or the platform's re-INVITE while the call is up (the
 * media gateway's media release or re-anchoring moves the phone's RTP), answered 200 with the phone's SDP, or
 * `holdMs` since `start` ran, then `onDone`. sipp's timeouts cannot take a variable and a jump back re-arms
 * them, so the wait is polled: each `HOLD_POLL_MS` the scenario compares the clock with the start; the hold
 * time counts from the answer however many re-INVITEs come. The re-INVITE step and the BYE step after it are
 * optional="global": sipp matches them wherever the call is after them (a request arriving while the call
 * was at the clock check was otherwise "unexpected" and aborted the call: seen in CI, one of 20 callers of the
 * restart test); sipp wants a mandatory step before the next send, so a MESSAGE that never comes follows
 * them. `start` goes where the hold time begins; `wait` ends where the BYE was received (`onBye`: its
 * action), so the 200 OK to it comes next.
 */
function talkSteps(
  holdMs: number | undefined,
  onDone: string,
  onBye: string,
): { readonly start: string; readonly wait: string; readonly rest: string } {
  const ms = (v: string) =>
    `<gettimeofday assign_to="${v}_s,${v}_us"/><multiply assign_to="${v}_s" value="1000"/><divide assign_to="${v}_us" value="1000"/><add assign_to="${v}_s" variable="${v}_us"/>`;
  const waitTimeout =
    holdMs === undefined
      ? `timeout="3600000" ontimeout="${onDone}"`
      : `timeout="${HOLD_POLL_MS}" ontimeout="talk-check"`;
  return {
    start: `<nop><action>${ms("talk0")}</action></nop>`,
    wait: `<label id="talk"/>
  <recv request="INVITE" optional="global" ${waitTimeout} next="talk-reinvite"/>
  <recv request="BYE" optional="global" ${waitTimeout} next="talk-bye">
    <action>${onBye}</action>
  </recv>
  <recv request="MESSAGE" ${waitTimeout}/>
  <nop next="talk"/>
  <label id="talk-bye"/>`,
    rest: `${
      holdMs === undefined
        ? ""
        : `<label id="talk-check"/>
  <nop><action>${ms("talk1")}<subtract assign_to="talk1_s" variable="talk0_s"/><test assign_to="talk_done" variable="talk1_s" compare="greater_than_equal" value="${Math.max(1, holdMs)}"/></action></nop>
  <nop test="talk_done" next="${onDone}"/>
  <nop next="talk"/>`
    }
  <label id="talk-reinvite"/>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      ${SDP}

    ]]></send>
  <recv request="ACK" timeout="32000" ontimeout="end"/>
  <nop next="talk"/>`,
  };
}

/**
 * The shell script <exec> runs to append an event line. sipp passes the command to `sh -c` as written (no XML
 * entity decoding, and \n becomes \r\n), so redirections live in this script, not in the scenario.
 */
export const EVENT_SCRIPT = `#!/bin/sh
# usage: event.sh <events file> <call id> <event> [detail]
printf '%s\\t%s\\t%s\\t%s\\n' "$(date +%s%3N)" "$2" "$3" "$4" >> "$1"
`;

/**
 * The <exec> appending one event line (detail single-quoted: header values hold < > ; characters). Events sit
 * in the <action> of the <recv> they describe where there is one: a separate <nop> step opens a window in which
 * a message arriving (an ACK right after our 200 OK) is "unexpected" and aborts the call.
 */
function act(eventsFile: string | undefined, name: string, detail = ""): string {
  // Without an events file (load runs: a shell per event is too dear at 30 calls/s) the step only logs
  // (written with -trace_logs alone); timings then come from the message log. The detail stays in the log
  // line: sipp refuses a scenario whose variables (the agent's $pai, $ruri) are assigned and never used.
  if (eventsFile === undefined) return `<log message="[call_id] ${name} ${detail}"/>`;
  const safe = detail.replace(/'/g, "");
  const script = eventsFile.replace(/[^/]+$/, "event.sh");
  return `<exec command="sh ${script} ${eventsFile} '[call_id]' '${name}' '${safe}'"/>`;
}

function event(eventsFile: string | undefined, name: string, detail = ""): string {
  return `<nop><action>${act(eventsFile, name, detail)}</action></nop>`;
}

const pcapFor = (digit: string): string => {
  const name = digit === "*" ? "star" : digit === "#" ? "pound" : digit;
  return join(SIPP_PCAP_DIR, `dtmf_2833_${name}.pcap`);
};

/** DTMF after the answer, as INFO (application/dtmf-relay) requests or RFC 2833 RTP events from sipp's pcaps. */
function dtmfSteps(
  plans: readonly DtmfPlan[] | undefined,
  eventsFile: string | undefined,
  role: "uac" | "uas",
): string {
  if (plans === undefined) return "";
  const steps: string[] = [];
  let cseq = 10;
  for (const plan of plans) {
    steps.push(`<pause milliseconds="${plan.afterMs}"/>`);
    for (const digit of plan.digits) {
      steps.push(event(eventsFile, "dtmf-sent", `${plan.mode}:${digit}`));
      if (plan.mode === "rfc2833") {
        steps.push(`<nop><action><exec play_pcap_audio="${pcapFor(digit)}"/></action></nop>`);
      } else {
        // In-dialog INFO: the UAS side sends it from its own dialog (From/To swapped).
        const fromTo =
          role === "uac"
            ? `From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]`
            : `From: <sip:agent@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: [$remote_from]`;
        steps.push(`<send><![CDATA[

      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      ${fromTo}
      Call-ID: [call_id]
      CSeq: ${cseq++} INFO
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${digit}
      Duration=160
    ]]></send>
  <recv response="200"/>`);
      }
      steps.push(`<pause milliseconds="${plan.gapMs ?? 300}"/>`);
    }
  }
  return steps.join("\n  ");
}

export function agentScenario(behaviour: AgentBehaviour, eventsFile: string | undefined): string {
  const ev = (name: string, detail = "") => event(eventsFile, name, detail);
  const on = (name: string, detail = "") => act(eventsFile, name, detail);
  const head = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="switchyard agent ${behaviour.kind}">
  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from"/>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="invite_cseq"/>
      <ereg regexp="sip:[^ ]+" search_in="msg" assign_to="ruri"/>
      <ereg regexp=".*" search_in="hdr" header="P-Asserted-Identity:" assign_to="pai"/>
      ${on("invite", "[$ruri] | from=[$remote_from] | pai=[$pai]")}
    </action>
  </recv>
  <send><![CDATA[

      SIP/2.0 100 Trying
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>`;
  // The platform's INVITE again (its retransmission): sipp, starved on a loaded machine, answered it after the
  // INVITE client transaction's timer (T1, 500 ms) had fired, and the copy reaches the scenario later, while it
  // rings or waits for the ACK. A phone absorbs a retransmission; sipp aborted the call as "unexpected" and the
  // leg never connected. This optional step takes it (and, as the step just before the wait, any further
  // copy) and goes on waiting. It does not jump back to resend the response: a jump leaves the call on a send
  // step until sipp runs it again, and the ACK arriving in between was "unexpected" in its turn. sipp arms
  // the timeout of the step it waits at, which is this one: it carries the timeout of the step after it.
  const retransmitted = (timeout: string) => `<recv request="INVITE" optional="true" ${timeout}/>`;
  const ringing = `<send><![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]></send>`;
  // A CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE, wait for the ACK.
  const cancelled = `<label id="cancelled"/>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
  <send><![CDATA[

      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [$invite_cseq] INVITE
      Content-Length: 0

    ]]></send>
  <recv request="ACK" timeout="10000" ontimeout="end"/>
  <nop next="end"/>`;
  const tail = `<label id="end"/>
  ${ev("end")}
  <nop><action><log message="[$remote_from] [$invite_cseq]"/></action></nop>
  <ResponseTimeRepartition value="100, 500, 1000, 2000, 5000"/>
  <CallLengthRepartition value="1000, 5000, 10000, 30000, 60000"/>
</scenario>
`;
  switch (behaviour.kind) {
    case "answer": {
      const talk = talkSteps(
        behaviour.holdMs,
        behaviour.holdMs === undefined ? "end" : "sendbye",
        on("bye-received"),
      );
      const hold = `${talk.start}
  ${talk.wait}`;
      return `${head}
  ${ringing}
  ${retransmitted(`timeout="${Math.max(1, behaviour.afterMs)}" ontimeout="answer"`)}
  <recv request="CANCEL" timeout="${Math.max(1, behaviour.afterMs)}" ontimeout="answer" next="cancelled">
    <action>${on("cancel")}</action>
  </recv>
  ${cancelled}
  <label id="answer"/>
  <send retrans="500"><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      ${SDP}

    ]]></send>
  ${retransmitted('timeout="32000" ontimeout="end"')}
  <recv request="ACK" timeout="32000" ontimeout="end">
    <action>${on("answered")}</action>
  </recv>
  ${dtmfSteps(behaviour.dtmf, eventsFile, "uas")}
  ${hold}
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]></send>
  <nop next="end"/>
  <label id="sendbye"/>
  ${ev("bye-sent")}
  <send retrans="500"><![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:agent@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: [$remote_from]
      Call-ID: [call_id]
      CSeq: 20 BYE
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200" timeout="10000" ontimeout="end"/>
  <nop next="end"/>
  ${talk.rest}
  ${tail}`;
    }
    case "reject": {
      const wait =
        behaviour.afterMs === undefined || behaviour.afterMs <= 0
          ? ""
          : `${ringing}
  ${retransmitted(`timeout="${behaviour.afterMs}" ontimeout="reject"`)}
  <recv request="CANCEL" timeout="${behaviour.afterMs}" ontimeout="reject" next="cancelled">
    <action>${on("cancel")}</action>
  </recv>
  ${cancelled}`;
      return `${head}
  ${wait}
  <label id="reject"/>
  <send><![CDATA[

      SIP/2.0 ${behaviour.status} ${reason(behaviour.status)}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [$invite_cseq] INVITE
      Content-Length: 0

    ]]></send>
  ${retransmitted('timeout="10000" ontimeout="end"')}
  <recv request="ACK" timeout="10000" ontimeout="end">
    <action>${on("rejected", String(behaviour.status))}</action>
  </recv>
  ${tail}`;
    }
    case "never-answer":
      return `${head}
  ${ringing}
  ${retransmitted('timeout="600000" ontimeout="end"')}
  <recv request="CANCEL" timeout="600000" ontimeout="end" next="cancelled">
    <action>${on("cancel")}</action>
  </recv>
  ${cancelled}
  ${tail}`;
    default: {
      const never: never = behaviour;
      throw new Error(`unknown agent behaviour ${JSON.stringify(never)}`);
    }
  }
}

function reason(status: number): string {
  const reasons: Record<number, string> = {
    480: "Temporarily Unavailable",
    486: "Busy Here",
    487: "Request Terminated",
    500: "Server Internal Error",
    503: "Service Unavailable",
    600: "Busy Everywhere",
    603: "Decline",
  };
  return reasons[status] ?? "Rejected";
}

export function callerScenario(plan: CallerPlan, eventsFile: string | undefined): string {
  const ev = (name: string, detail = "") => event(eventsFile, name, detail);
  const on = (name: string, detail = "") => act(eventsFile, name, detail);
  const fromUser = plan.fromUser ?? "+1999000[call_number]";
  const answerTimeout = plan.answerTimeoutMs ?? 120_000;
  // Provisional responses may or may not come; each wait is bounded (sipp arms the timeout of the step it
  // waits at, so every optional step carries it): with cancelAfterMs the caller CANCELs that long after the
  // INVITE or the last provisional response. A non-2xx final response is ACKed and logged as "final".
  const [limit, onTimeout] =
    plan.cancelAfterMs === undefined ? [answerTimeout, "end"] : [plan.cancelAfterMs, "cancel"];
  const rejections = [403, 404, 408, 480, 486, 487, 500, 503, 600, 603]
    .map(
      (code) => `<recv response="${code}" optional="true" next="rejected">
    <action><ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/><assignstr assign_to="final_code" value="${code}"/>${on("final", String(code))}</action>
  </recv>`,
    )
    .join("\n  ");
  const waitFinal = `<recv response="100" optional="true" timeout="${limit}" ontimeout="${onTimeout}"/>
  <recv response="180" optional="true" timeout="${limit}" ontimeout="${onTimeout}"/>
  <recv response="183" optional="true" timeout="${limit}" ontimeout="${onTimeout}"/>
  ${rejections}
  <recv response="200" rtd="true" rrs="true" timeout="${limit}" ontimeout="${onTimeout}">
    <action><ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/>${on("answered")}</action>
  </recv>`;
  const ackNon2xx = `<send><![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-inv-[pid]-[call_number]
      From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [$to_hdr]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>`;
  const talk = talkSteps(plan.holdMs, "sendbye", on("bye-received"));
  const rejected = `<label id="rejected"/>
  ${ackNon2xx}
  <nop next="end"/>`;
  const cancel =
    plan.cancelAfterMs === undefined
      ? ""
      : `<label id="cancel"/>
  ${ev("cancel-sent")}
  <send><![CDATA[

      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-inv-[pid]-[call_number]
      From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200" timeout="10000" ontimeout="end"/>
  <recv response="487" timeout="10000" ontimeout="end">
    <action><ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/>${on("final", "487")}</action>
  </recv>
  ${ackNon2xx}
  <nop next="end"/>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="switchyard caller">
  <nop><action>
    <assignstr assign_to="caller" value="${fromUser}"/>
  </action></nop>
  ${ev("invite-sent", "[$caller]")}
  <send retrans="500" start_rtd="true"><![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-inv-[pid]-[call_number]
      From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:[$caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      ${SDP}

    ]]></send>
  ${waitFinal}
  <send><![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:[$caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  ${dtmfSteps(plan.dtmf, eventsFile, "uac")}
  ${talk.start}
  ${talk.wait}
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]></send>
  <nop next="end"/>
  <label id="sendbye"/>
  ${ev("bye-sent")}
  <send retrans="500"><![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 30 BYE
      Contact: <sip:[$caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200" timeout="10000" ontimeout="end"/>
  <nop next="end"/>
  ${talk.rest}
  ${cancel}
  ${rejected}
  <label id="end"/>
  ${ev("end")}
  <nop><action><log message="[$caller] [$to_hdr] [$final_code]"/></action></nop>
  <ResponseTimeRepartition value="100, 500, 1000, 2000, 5000"/>
  <CallLengthRepartition value="1000, 5000, 10000, 30000, 60000"/>
</scenario>
`;
}

/** A caller that answers a 401 digest challenge (an agent phone calling in), or records the refusal. */
export interface DigestCallerPlan {
  /** Credentials to answer the challenge with; undefined: none (the run records `final 401`). */
  readonly digest: { readonly username: string; readonly password: string } | undefined;
  /** After the answer: hang up after this long (ms) unless the far end hangs up first. */
  readonly holdMs: number;
  readonly fromUser?: string;
}

/**
 * INVITE → 401 (sipp keeps the challenge: `auth="true"`) → ACK → INVITE with `[authentication]` (CSeq 2) →
 * 200 → ACK, hold, BYE. Any other final response to either INVITE is ACKed and logged as `final <code>`;
 * `challenged` marks the 401.
 */
export function digestCallerScenario(plan: DigestCallerPlan, eventsFile: string | undefined): string {
  const ev = (name: string, detail = "") => event(eventsFile, name, detail);
  const on = (name: string, detail = "") => act(eventsFile, name, detail);
  const fromUser = plan.fromUser ?? "phone[call_number]";
  const invite = (cseq: number, auth: string) => `<send retrans="500"><![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-inv${cseq}-[pid]-[call_number]
      From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: ${cseq} INVITE
      Contact: <sip:[$caller]@[local_ip]:[local_port]>${auth === "" ? "" : `\n      ${auth}`}
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      ${SDP}

    ]]></send>`;
  const ackNon2xx = (cseq: number) => `<send><![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-inv${cseq}-[pid]-[call_number]
      From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: ${cseq} ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>`;
  const finals = (cseq: number, codes: number[]) =>
    codes
      .map(
        (code) =>
          `<recv response="${code}" optional="true" next="rejected${cseq}"><action>${on("final", String(code))}</action></recv>`,
      )
      .join("\n  ");
  const authLine = plan.digest
    ? `[authentication username=${plan.digest.username} password=${plan.digest.password}]`
    : "";
  const retry = plan.digest
    ? `${ackNon2xx(1)}
  ${invite(2, authLine)}
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  ${finals(2, [401, 403, 404, 480, 486, 503, 603])}
  <recv response="200" rrs="true"><action>${on("answered")}</action></recv>
  <send><![CDATA[

      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Contact: <sip:[$caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv request="BYE" timeout="${Math.max(1, plan.holdMs)}" ontimeout="sendbye">
    <action>${on("bye-received")}</action>
  </recv>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]></send>
  <nop next="end"/>
  <label id="sendbye"/>
  ${ev("bye-sent")}
  <send retrans="500"><![CDATA[

      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[$caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 30 BYE
      Contact: <sip:[$caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200" timeout="10000" ontimeout="end"/>
  <nop next="end"/>
  <label id="rejected2"/>
  ${ackNon2xx(2)}
  <nop next="end"/>`
    : `${ackNon2xx(1)}
  <nop next="end"/>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="switchyard digest caller">
  <nop><action>
    <assignstr assign_to="caller" value="${fromUser}"/>
  </action></nop>
  ${ev("invite-sent", "[$caller]")}
  ${invite(1, "")}
  <recv response="100" optional="true"/>
  ${finals(1, [403, 404, 480, 486, 503, 603])}
  <recv response="401" auth="true"><action>${on("challenged")}${plan.digest ? "" : on("final", "401")}</action></recv>
  ${retry}
  <label id="rejected1"/>
  ${ackNon2xx(1)}
  <label id="end"/>
  ${ev("end")}
</scenario>
`;
}
