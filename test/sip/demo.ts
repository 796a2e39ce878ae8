// The SIP demo: drachtio-server, FreeSWITCH and the platform on loopback, the example contact centre
// (examples/sip-demo-contact-centre.yaml) with baresip phones as its agents, a handful of calls from baresip
// callers through the IVR, simultaneous ring, whisper, a queue and a warm transfer; then what every phone heard
// (read off its recording by frequency: each phone's microphone is its own tone) and each call's story from
// PostgreSQL. Run it with `bash infra/sip-demo.sh` (add `--stay` to keep it up for your own softphone).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseContactCentre } from "@switchyard/contact-centre";
import { defineConfig, signIn } from "../e2e/harness.js";
import { allCalls, callFrom, type SipPlatform, startSipPlatform, terminalCall } from "./platform.js";
import {
  describeTimeline,
  makeTone,
  missingTools,
  type Phone,
  sleep,
  startPhone,
  timeline,
} from "./rig/index.js";

const CONTACT_CENTRE = resolve(import.meta.dirname, "../../examples/sip-demo-contact-centre.yaml");
const MAIN = "+15550100100";
const stay = process.argv.includes("--stay");

// Who plays which tone (the phones' microphones) and the platform's own sounds.
const CALLERS = {
  Carol: { number: "+15550001001", hz: 330 },
  Dave: { number: "+15550001002", hz: 370 },
  Erin: { number: "+15550001003", hz: 410 },
} as const;
const AGENTS = {
  ann: { name: "Ann", hz: 660 },
  bob: { name: "Bob", hz: 720 },
  cat: { name: "Cat", hz: 780 },
  dan: { name: "Dan", hz: 990 },
} as const;
const LABELS: Record<number, string> = {
  550: "sales hold music (550 Hz)",
  500: "support queue music (500 Hz)",
  440: "default hold tone (440 Hz)",
  ...Object.fromEntries(Object.entries(CALLERS).map(([name, c]) => [c.hz, `${name} (${c.hz} Hz)`])),
  ...Object.fromEntries(Object.values(AGENTS).map((a) => [a.hz, `${a.name} (${a.hz} Hz)`])),
};

const say = (line: string) => console.log(line);
const step = (who: string, what: string) =>
  say(`  ${new Date().toISOString().slice(11, 19)}  ${who.padEnd(6)} ${what}`);

async function main(): Promise<void> {
  const missing = missingTools(["drachtio", "freeswitch", "sipp", "baresip", "sox"]);
  if (missing !== undefined) {
    console.error(missing.replace("SIP tests skipped", "SIP demo cannot run"));
    process.exit(1);
  }
  say("Switchyard SIP demo: starting drachtio-server, FreeSWITCH and the platform on 127.0.0.1 ...");
  const p: SipPlatform = await startSipPlatform({
    name: "demo",
    gateway: { transferTargets: { "30": { kind: "agent", agentId: "dan" } } },
  });
  const phones: Phone[] = [];
  let closing = false;
  const shutdown = async (code: number) => {
    if (closing) return;
    closing = true;
    for (const ph of phones) await ph.stop().catch(() => undefined);
    // The run directory stays: recordings and logs are what the demo is about.
    await p.close({ keep: true });
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown(0));
  try {
    const tone = (hz: number) => makeTone(join(p.tel.dir, `tone${hz}.wav`), hz, 180);
    const agentPhones: Record<string, Phone> = {};
    for (const [id, a] of Object.entries(AGENTS)) {
      // Ann answers by hand (after a few rings), Bob never does, Cat and Dan answer at once.
      const answer = id === "cat" || id === "dan" ? "auto" : "manual";
      agentPhones[id] = await startPhone({ dir: p.tel.dir, name: id, source: await tone(a.hz), answer });
      phones.push(agentPhones[id]!);
    }
    const callerPhones: Record<string, Phone> = {};
    for (const [name, c] of Object.entries(CALLERS)) {
      callerPhones[name] = await startPhone({
        dir: p.tel.dir,
        name: c.number,
        source: await tone(c.hz),
        answer: "manual",
      });
      phones.push(callerPhones[name]!);
    }
    let yaml = readFileSync(CONTACT_CENTRE, "utf8");
    for (const [id, ph] of Object.entries(agentPhones))
      yaml = yaml.replaceAll(`sip:${id}@phones.switchyard.demo`, ph.uri);
    const cc = parseContactCentre(yaml, CONTACT_CENTRE);
    await defineConfig(p.e2e, cc.commands);
    await signIn(p.e2e, Object.keys(AGENTS));

    say("");
    say(
      `  drachtio-server  SIP 127.0.0.1:${p.tel.drachtio.sipPort} (udp, tcp); apps on 127.0.0.1:${p.tel.drachtio.port}`,
    );
    say(
      `  FreeSWITCH       profile drachtio_mrf 127.0.0.1:${p.tel.freeswitch.sipPort}; event socket 127.0.0.1:${p.tel.freeswitch.port}`,
    );
    say(
      `  platform         router, agent-presence, relay, media gateway (drachtio driver); PostgreSQL schema ${p.schema}`,
    );
    say(`  contact centre   ${CONTACT_CENTRE}: main line ${MAIN} (IVR: 1 Sales, 2 Support)`);
    for (const [id, a] of Object.entries(AGENTS))
      say(`  agent phone      ${a.name.padEnd(5)} ${agentPhones[id]!.uri}  (microphone: ${a.hz} Hz tone)`);
    for (const [name, c] of Object.entries(CALLERS))
      say(`  caller phone     ${name.padEnd(5)} ${callerPhones[name]!.uri}  (microphone: ${c.hz} Hz tone)`);
    say("");
    const dialMain = `sip:${MAIN}@127.0.0.1:${p.tel.drachtio.sipPort}`;
    const { Carol, Dave, Erin } = callerPhones as Record<keyof typeof CALLERS, Phone>;
    const { ann, bob, cat, dan } = agentPhones as Record<keyof typeof AGENTS, Phone>;

    const sales = async () => {
      step("Carol", `dials ${MAIN}: greeting, IVR menu`);
      await Carol.dial(dialMain);
      await Carol.waitForEvent("CALL_ESTABLISHED");
      await sleep(4_500);
      step("Carol", "presses 1 (Sales): Ann and Bob ring at once, Carol hears the sales hold music");
      await Carol.sendDtmf("1");
      await ann.waitForEvent("CALL_INCOMING");
      await sleep(3_000);
      step("Ann", "answers (Bob's phone gets a CANCEL); Ann hears the whisper, then Carol");
      await ann.accept();
      await ann.waitForEvent("CALL_ESTABLISHED");
      await sleep(5_000);
      step("Ann", "dials *2 30 # : warm transfer to Dan; Carol is on hold, Ann consults Dan");
      await ann.sendDtmf("*230#");
      await dan.waitForEvent("CALL_ESTABLISHED");
      await sleep(3_500);
      step("Ann", "dials *3 : transfer complete, Ann leaves, Carol talks to Dan");
      await ann.sendDtmf("*3");
      await ann.waitForEvent("CALL_CLOSED");
      await sleep(4_000);
      step("Carol", "hangs up");
      await Carol.hangup();
      await Carol.waitForEvent("CALL_CLOSED");
    };
    const support = async () => {
      await sleep(2_000);
      step("Dave", `dials ${MAIN} and presses 2 (Support): Cat answers`);
      await Dave.dial(dialMain);
      await Dave.waitForEvent("CALL_ESTABLISHED");
      await sleep(4_500);
      await Dave.sendDtmf("2");
      await cat.waitForEvent("CALL_ESTABLISHED");
      step("Erin", `dials ${MAIN} and presses 2 while Cat is busy: Erin waits in the queue`);
      await Erin.dial(dialMain);
      await Erin.waitForEvent("CALL_ESTABLISHED");
      await sleep(4_500);
      await Erin.sendDtmf("2");
      await sleep(6_000);
      step("Dave", "hangs up: Cat is free, Erin is connected to Cat");
      const before = cat.events().length;
      await Dave.hangup();
      await cat.waitForEvent("CALL_ESTABLISHED", before);
      await sleep(4_000);
      step("Erin", "hangs up");
      await Erin.hangup();
      await Erin.waitForEvent("CALL_CLOSED");
    };
    say("The calls:");
    await Promise.all([sales(), support()]);
    await bob.waitForEvent("CALL_CLOSED");

    say("");
    say(
      "What each phone heard (its recording, by frequency; speech = the platform's TTS greeting, menu or whisper):",
    );
    for (const [name, ph] of [
      ...Object.entries(callerPhones),
      ...Object.entries(agentPhones).map(([id, ph]) => [AGENTS[id as keyof typeof AGENTS].name, ph] as const),
    ]) {
      const recs = ph.recordings();
      if (recs.length === 0) {
        const rang = ph.events().some((e) => e.type === "CALL_INCOMING");
        say(
          `  ${name.padEnd(6)} ${rang ? "rang, never answered: cancelled when another agent answered" : "no call"}`,
        );
      }
      for (const [i, r] of recs.entries()) {
        const which = recs.length > 1 ? ` call ${i + 1}` : "";
        say(`  ${name.padEnd(6)}${which}: ${describeTimeline(timeline(r.heard, LABELS))}`);
      }
    }

    say("");
    say("The calls in PostgreSQL:");
    for (const [name, c] of Object.entries(CALLERS)) {
      const call = await terminalCall(p, await callFrom(p, c.number));
      const answeredBy = call
        .of("LegOriginateRequested")
        .filter((l) => call.of("LegAnswered").some((a) => a.legId === l.legId))
        .map((l) => l.agentId);
      const story = [
        `applets ${call
          .of("AppletEntered")
          .map((a) => a.appletId)
          .join(" → ")}`,
        `answered by ${answeredBy.join(", ") || "nobody"}`,
        ...(call.types.includes("CallerEnqueued") ? ["queued first"] : []),
        ...(call.types.includes("TransferCompleted") ? ["warm transfer completed"] : []),
        ...call.of("RecordingStarted").map((r) => `recorded (${r.recordingId})`),
        `ended: ${call.of("CallEnded")[0]?.reason}`,
        `${call.events.length} events, one CallEnded`,
      ];
      say(`  ${name.padEnd(6)} ${story.join("; ")}`);
    }
    say(`  ${(await allCalls(p)).size} calls, all terminal`);
    say("");
    say(
      `Kept for you: ${p.tel.dir} (call recordings in media/recordings, each phone's in phone-*/rec, logs).`,
    );

    if (stay) {
      say("");
      say(
        `Still running (--stay). Call ${MAIN} from a softphone on this machine: sip:${MAIN}@127.0.0.1:${p.tel.drachtio.sipPort}`,
      );
      say(
        "(UDP or TCP, PCMU; no registration needed). Agents are the baresip phones above. Ctrl-C stops everything.",
      );
      await new Promise(() => {});
    }
    await shutdown(0);
  } catch (err) {
    console.error(`SIP demo failed: ${err instanceof Error ? err.stack : String(err)}`);
    console.error(`logs kept in ${p.tel.dir}`);
    await shutdown(1);
  }
}

await main();
