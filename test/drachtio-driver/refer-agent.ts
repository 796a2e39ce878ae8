// A sipp agent phone that answers and then transfers the call with a REFER (blind transfer from the phone), for
// the drachtio driver's test. Built on the rig's process and port helpers; events as the rig's agents log them.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  freePort,
  ManagedProcess,
  readEvents,
  type SippAgent,
  type SippResult,
  waitFor,
} from "../sip/rig/index.js";

function ev(file: string, name: string): string {
  // "date<TAB>call-id<TAB>event<TAB>" as the rig's readEvents expects; tee keeps `>` out of the XML.
  return `<nop><action><exec command="printf '%s\\t%s\\t%s\\t\\n' $(date +%s%3N) '[call_id]' '${name}' | tee -a ${file} | true"/></action></nop>`;
}

export async function sippReferAgent(parent: string, name: string, target: string): Promise<SippAgent> {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const events = join(dir, "events.tsv");
  const stats = join(dir, "stats.csv");
  const scenario = join(dir, "scenario.xml");
  writeFileSync(
    scenario,
    `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="agent that REFERs">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="remote_contact"/>
    </action>
  </recv>
  ${ev(events, "invite")}
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=sendrecv

    ]]></send>
  <recv request="ACK"/>
  ${ev(events, "answered")}
  <pause milliseconds="300"/>
  <send retrans="500"><![CDATA[

      REFER [$remote_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:agent@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: [$remote_from]
      Call-ID: [call_id]
      CSeq: 2 REFER
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Refer-To: <sip:${target}@[local_ip]>
      Referred-By: <sip:agent@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="202"/>
  ${ev(events, "refer-accepted")}
  <recv request="NOTIFY"/>
  ${ev(events, "notify")}
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
  <recv request="BYE" timeout="60000" ontimeout="end"/>
  ${ev(events, "bye-received")}
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
  <label id="end"/>
</scenario>
`,
  );
  const port = await freePort();
  const mediaPort = await freePort(2);
  const proc = new ManagedProcess({
    name: `sipp-${name}`,
    command: "sipp",
    args: [
      "-sf",
      scenario,
      "-i",
      "127.0.0.1",
      "-p",
      String(port),
      "-mp",
      String(mediaPort),
      "-nostdin",
      "-trace_stat",
      "-stf",
      stats,
      "-fd",
      "1",
      "-timeout",
      "300s",
      "-trace_msg",
      "-message_file",
      join(dir, "messages.log"),
      "-trace_err",
      "-error_file",
      join(dir, "errors.log"),
    ],
    logFile: join(dir, "sipp.out"),
  });
  await waitFor(`sipp REFER agent on ${port}`, () => {
    if (!proc.running) throw new Error(`sipp REFER agent exited (${proc.exitCode})`);
    return existsSync(stats) ? true : undefined;
  });
  const read = () => readEvents(events);
  return {
    name,
    port,
    uri: (user = name) => `sip:${user}@127.0.0.1:${port}`,
    events: read,
    calls: () => new Map([["all", read()]]),
    async stop(): Promise<SippResult> {
      const code = await proc.stop("SIGINT", 5_000);
      return { exitCode: code, stats: undefined, events: read(), calls: new Map(), dir };
    },
  };
}
