// A sipp caller whose INVITE carries no SDP (late offer): it takes the offer from the 200 OK and answers in
// its ACK, holds, then hangs up. For the drachtio driver's test.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, ManagedProcess } from "../sip/rig/index.js";

export async function runLateOfferCaller(
  parent: string,
  target: { host: string; port: number },
  service: string,
): Promise<{ exitCode: number | string; messages: string }> {
  const dir = join(parent, "late-offer");
  mkdirSync(dir, { recursive: true });
  const scenario = join(dir, "scenario.xml");
  const messages = join(dir, "messages.log");
  writeFileSync(
    scenario,
    `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="late offer caller">
  <send retrans="500"><![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+442079460001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:+442079460001@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" timeout="10000"/>
  <send><![CDATA[

      ACK sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+442079460001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:+442079460001@[local_ip]:[local_port]>
      Max-Forwards: 70
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
  <pause milliseconds="1500"/>
  <send retrans="500"><![CDATA[

      BYE sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+442079460001@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:+442079460001@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200" timeout="10000"/>
</scenario>
`,
  );
  const port = await freePort();
  const mediaPort = await freePort(2);
  const proc = new ManagedProcess({
    name: "sipp-late-offer",
    command: "sipp",
    args: [
      "-sf",
      scenario,
      `${target.host}:${target.port}`,
      "-s",
      service,
      "-i",
      "127.0.0.1",
      "-p",
      String(port),
      "-mp",
      String(mediaPort),
      "-m",
      "1",
      "-nostdin",
      "-timeout",
      "30s",
      "-timeout_error",
      "-trace_msg",
      "-message_file",
      messages,
    ],
    logFile: join(dir, "sipp.out"),
  });
  const exitCode = await proc.exited;
  const { readFileSync } = await import("node:fs");
  return { exitCode, messages: readFileSync(messages, "utf8") };
}
