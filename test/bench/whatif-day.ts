// Writes a synthetic recorded day for timing `switchyard whatif` on a day of traffic (issue 14: ≥ 5,000 calls
// must re-run in under ten minutes). Not part of the suite:
//   node --import tsx test/bench/whatif-day.ts /tmp/day.yaml [calls, default 5000] [hours, default 8]
//   time node packages/cli/bin/switchyard.mjs whatif --traffic /tmp/day.yaml
// The day: eight hours of Poisson arrivals on one number, an IVR menu in front of two groups (sales: 14
// agents, support: 12), log-normal talk times, exponential patience, agents who sometimes miss.
import { writeFileSync } from "node:fs";
import { dayFileText } from "@switchyard/cli";
import { parseContactCentre } from "@switchyard/contact-centre";
import { parseTraffic, planCalls } from "@switchyard/simulation";

const [out = "/tmp/whatif-day.yaml", callsArg = "5000", hoursArg = "8"] = process.argv.slice(2);
const hours = Number(hoursArg);
const perHour = Math.ceil(Number(callsArg) / hours);
const agents = Array.from({ length: 26 }, (_, i) => `a${i + 1}`);
const yaml = `
account: { businessNumbers: ["+442071239000"], timeZone: UTC }
agents:
${agents.map((id, i) => `  - { id: ${id}, name: ${id.toUpperCase()}, phone: "+4477009${String(10000 + i).slice(1)}" }`).join("\n")}
groups:
  - { id: sales, name: Sales, strategy: round-robin, members: [${agents.slice(0, 14).join(", ")}], ringTimeoutSec: 20,
      queue: { enabled: true, maxWaitSec: 600, maxSize: 100 } }
  - { id: support, name: Support, strategy: longest-idle, members: [${agents.slice(14).join(", ")}], ringTimeoutSec: 20,
      queue: { enabled: true, maxWaitSec: 600, maxSize: 100 } }
numbers:
  - { number: "+442071239000", flow: main }
flows:
  - id: main
    name: Main
    start: menu
    applets:
      menu: { type: ivrMenu, prompt: "Sales 1, support 2", branches: { "1": sales, "2": support }, timeoutSec: 5, timeoutBranch: sales, invalidBranch: sales }
      sales: { type: connect, target: { group: sales }, branches: { fallback: bye } }
      support: { type: connect, target: { group: support }, branches: { fallback: bye } }
      bye: { type: hangup }
`;
const cc = parseContactCentre(yaml, "whatif-day");
const model = parseTraffic(
  {
    traffic: {
      seed: "whatif-day",
      minutes: hours * 60,
      arrivals: [{ number: "+442071239000", perHour }],
      callers: {
        talkTime: { logNormal: { meanSec: 130, sdSec: 70 } },
        patience: { exponential: 240 },
        ivr: { menu: { "1": 0.55, "2": 0.45 } },
      },
      agents: {
        default: {
          answerDelay: { logNormal: { meanSec: 4, sdSec: 2 } },
          noAnswer: 0.05,
          busy: 0.02,
          reject: 0.01,
        },
      },
    },
  },
  "whatif-day",
  cc.snapshot,
);
const planned = planCalls(model, cc.snapshot);
const traffic = {
  ...model,
  arrivals: [],
  startAt: "2026-01-05T09:00:00.000Z",
  agentTimeline: Object.fromEntries(agents.map((id) => [id, [{ atSec: 0, input: "SignIn" as const }]])),
  calls: planned.map((c) => ({
    atSec: c.atSec,
    number: c.to,
    from: c.from,
    digits: c.dtmf.map((d) => d.digits).filter((d) => d !== ""),
    talkSec: c.talkSec,
    ...(c.patienceSec === undefined ? {} : { patienceSec: c.patienceSec }),
  })),
};
writeFileSync(
  out,
  dayFileText(
    {
      config: cc.snapshot,
      traffic,
      summary: {
        calls: planned.length,
        answered: 0,
        abandoned: 0,
        rings: 0,
        talkTime: model.callers.talkTime,
      },
    },
    undefined,
  ),
);
console.log(`${planned.length} calls over ${hours} h written to ${out}`);
