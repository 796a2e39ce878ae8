import { CONFIG_STREAM, EMPTY_CONFIG } from "@switchyard/routing-domain";
import { describe, expect, it } from "vitest";
import {
  ContactCentreConfigError,
  type ContactCentreIssue,
  configEventsFor,
  loadContactCentre,
  parseContactCentre,
} from "../src/index.js";

const VALID = `
account:
  businessNumbers: [+442071234567]
  callerIdPassThrough: true
  recordCalls: false
  timeZone: Europe/London
agents:
  - { id: alice, name: Alice, phone: +447700900001, wrapUpSec: 5 }
  - { id: bob, name: Bob, sip: "sip:bob@pbx.example.com" }
groups:
  - id: sales
    name: Sales
    strategy: round-robin
    members: [alice, bob]
    ringTimeoutSec: 20
    queue: { enabled: true, maxWaitSec: 60, maxSize: 3, announcePosition: true, holdMusic: { url: "https://example.com/hold.wav" } }
numbers:
  - { number: +442071234567, flow: main }
flows:
  - id: main
    name: Main line
    start: welcome
    applets:
      welcome: { type: greeting, audio: "Welcome", next: menu }
      menu:
        type: ivrMenu
        prompt: "Press 1 for sales"
        branches: { "1": sales }
        timeoutSec: 5
        retries: 1
        timeoutBranch: vm
        invalidBranch: vm
      sales:
        type: connect
        target: { group: sales }
        callerId: caller
        whisper: "Incoming sales call"
        branches: { noAnswer: vm, fallback: vm }
      vm: { type: voicemail, maxLengthSec: 60, next: bye }
      bye: { type: hangup }
`;

function issuesOf(text: string): ContactCentreIssue[] {
  try {
    parseContactCentre(text, "cc.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ContactCentreConfigError);
    const e = error as ContactCentreConfigError;
    expect(e.name).toBe("ContactCentreConfigError");
    // One line per issue, `file:path: reason`.
    expect(e.message.split("\n")).toHaveLength(e.issues.length);
    for (const [i, issue] of e.issues.entries())
      expect(e.message.split("\n")[i]).toBe(`cc.yaml:${issue.path || "(document)"}: ${issue.reason}`);
    return [...e.issues];
  }
  throw new Error("expected the file to be rejected");
}

const paths = (issues: ContactCentreIssue[]) => issues.map((i) => i.path);

describe("loading a contact centre", () => {
  it("turns a valid file into config commands and the events the config decider produces", () => {
    const cc = parseContactCentre(VALID, "cc.yaml");
    expect(cc.commands.map((c) => c.type)).toEqual([
      "ConfigureAccount",
      "DefineAgent",
      "DefineAgent",
      "DefineGroup",
      "DefineFlow",
      "DefineNumber",
    ]);
    expect(cc.events.map((e) => e.data.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(cc.snapshot.agents.alice).toEqual({
      agentId: "alice",
      name: "Alice",
      contact: { kind: "phone", number: "+447700900001" }, // unquoted +digits stay a phone number
      wrapUpSec: 5,
    });
    expect(cc.snapshot.agents.bob?.contact).toEqual({ kind: "sip", uri: "sip:bob@pbx.example.com" });
    expect(cc.snapshot.groups.sales).toMatchObject({
      strategy: "roundRobin",
      members: ["alice", "bob"],
      ringTimeoutSec: 20,
      maxRingAttempts: 1,
      queue: {
        enabled: true,
        maxWaitSec: 60,
        maxSize: 3,
        announcePosition: true,
        announceEverySec: 30,
        holdMusic: { kind: "url", url: "https://example.com/hold.wav" },
      },
    });
    expect(cc.snapshot.account).toEqual({
      callerIdPassThrough: true,
      recordCalls: false,
      timeZone: "Europe/London",
      callsPeriod: "day",
    });
    expect(cc.snapshot.numbers["+442071234567"]).toEqual({ number: "+442071234567", flowId: "main" });
    expect(cc.snapshot.flows.main?.applets.sales).toEqual({
      kind: "connect",
      target: { kind: "group", groupId: "sales" },
      callerId: { kind: "caller" },
      whisper: { kind: "tts", text: "Incoming sales call" },
      branches: { noAnswer: "vm", fallback: "vm" },
    });
    expect(cc.businessNumbers).toEqual(["+442071234567"]);
    expect(CONFIG_STREAM).toBe("config");
  });

  it("reads a flow's recording default and its queue-outcome branches, and rejects a non-boolean recordCalls", () => {
    const text = VALID.replace(
      "    name: Main line\n",
      "    name: Main line\n    recordCalls: true\n",
    ).replace(
      "branches: { noAnswer: vm, fallback: vm }",
      "branches: { noAnswer: vm, queueTimeout: bye, queueFull: bye, fallback: vm }",
    );
    const { snapshot } = parseContactCentre(text, "cc.yaml");
    expect(snapshot.flows.main?.recordCalls).toBe(true);
    const sales = snapshot.flows.main?.applets.sales;
    expect(sales?.kind === "connect" ? sales.branches : undefined).toMatchObject({
      queueTimeout: "bye",
      queueFull: "bye",
    });
    expect(paths(issuesOf(text.replace("recordCalls: true", "recordCalls: maybe")))).toEqual([
      "flows[0].recordCalls",
    ]);
  });

  it("reads the account's dial policy and names each bad entry", () => {
    const text = (policy: string) =>
      VALID.replace("  timeZone: Europe/London\n", `  timeZone: Europe/London\n  dialPolicy: ${policy}\n`);
    expect(
      parseContactCentre(text('{ allowedCountryCodes: [1, 44], deniedPrefixes: ["+1900"] }'), "cc.yaml")
        .snapshot.account.dialPolicy,
    ).toEqual({
      allowedCountryCodes: ["1", "44"],
      deniedPrefixes: ["+1900"],
    });
    expect(paths(issuesOf(text('{ allowedCountryCodes: ["+44"], deniedPrefixes: [1900] }')))).toEqual([
      "account.dialPolicy.allowedCountryCodes[0]",
      "account.dialPolicy.deniedPrefixes[0]",
    ]);
    expect(
      parseContactCentre(
        text("{ deniedPrefixes: [], maxConcurrentExternalLegs: 20, maxExternalMinutesPerHour: 600 }"),
        "cc.yaml",
      ).snapshot.account.dialPolicy,
    ).toEqual({ deniedPrefixes: [], maxConcurrentExternalLegs: 20, maxExternalMinutesPerHour: 600 });
    expect(
      paths(
        issuesOf(
          text("{ deniedPrefixes: [], maxConcurrentExternalLegs: -1, maxExternalMinutesPerHour: 1.5 }"),
        ),
      ),
    ).toEqual([
      "account.dialPolicy.maxConcurrentExternalLegs",
      "account.dialPolicy.maxExternalMinutesPerHour",
    ]);
  });

  it("reads a queue's callback settings, with defaults, and rejects a bad key", () => {
    const text = (cb: string) => VALID.replace("maxSize: 3,", `maxSize: 3, callback: ${cb},`);
    expect(
      parseContactCentre(text("{ offerAfterSec: 45, key: 9 }"), "cc.yaml").snapshot.groups.sales?.queue
        .callback,
    ).toEqual({
      offerAfterSec: 45,
      key: "9",
      maxAttempts: 3,
      retryAfterSec: 300,
    });
    expect(paths(issuesOf(text('{ key: "99" }')))).toEqual(["groups[0].queue.callback.key"]);
  });

  it("reads a queue's priority (0 or more)", () => {
    const text = (p: string) => VALID.replace("maxSize: 3,", `maxSize: 3, priority: ${p},`);
    expect(parseContactCentre(text("2"), "cc.yaml").snapshot.groups.sales?.queue.priority).toBe(2);
    expect(parseContactCentre(VALID, "cc.yaml").snapshot.groups.sales?.queue.priority).toBe(0);
    expect(paths(issuesOf(text("-1")))).toEqual(["groups[0].queue.priority"]);
  });

  it("warns (without refusing the file) about a Connect asking for the caller's number while pass-through is off", () => {
    expect(parseContactCentre(VALID, "cc.yaml").warnings).toEqual([]);
    const off = VALID.replace("callerIdPassThrough: true", "callerIdPassThrough: false");
    expect(parseContactCentre(off, "cc.yaml").warnings).toEqual([
      {
        file: "cc.yaml",
        path: "flows[0].applets.sales.callerId",
        reason:
          "warning: asks for the caller's number as caller ID, but caller ID pass-through is off on the account: the business number is shown",
      },
    ]);
  });

  it("decides only what the config stream lacks", () => {
    const cc = parseContactCentre(VALID, "cc.yaml");
    expect(configEventsFor(cc, EMPTY_CONFIG)).toEqual(cc.events);
    expect(configEventsFor(cc, cc.snapshot)).toEqual([]);
    // As read back from PostgreSQL, whose jsonb reorders object keys.
    const reordered = JSON.parse(JSON.stringify(cc.snapshot), (_k, v: unknown) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).reverse())
        : v,
    );
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(cc.snapshot));
    expect(configEventsFor(cc, reordered)).toEqual([]);
    const changed = parseContactCentre(VALID.replace("wrapUpSec: 5", "wrapUpSec: 9"), "cc.yaml");
    const events = configEventsFor(changed, cc.snapshot);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "AgentDefined", data: { version: 7, agent: { wrapUpSec: 9 } } });
  });

  it("lists an unknown agent in a group, an invalid number and SIP URI, and a dangling branch at once", () => {
    const text = VALID.replace("members: [alice, bob]", "members: [alice, carol, bob, dave]")
      .replace("phone: +447700900001", 'phone: "07700 900001"')
      .replace('sip: "sip:bob@pbx.example.com"', 'sip: "bob at pbx"')
      .replace("branches: { noAnswer: vm, fallback: vm }", "branches: { noAnswer: voicemal, fallback: vm }");
    const issues = issuesOf(text);
    expect(issues).toEqual([
      {
        file: "cc.yaml",
        path: "agents[0].phone",
        reason: expect.stringContaining('"07700 900001" is not an E.164 number'),
      },
      {
        file: "cc.yaml",
        path: "agents[1].sip",
        reason: expect.stringContaining('"bob at pbx" is not a SIP URI'),
      },
      { file: "cc.yaml", path: "groups[0].members[1]", reason: 'unknown agent "carol" (not in agents)' },
      { file: "cc.yaml", path: "groups[0].members[3]", reason: 'unknown agent "dave" (not in agents)' },
      {
        file: "cc.yaml",
        path: "flows[0].applets.sales.branches.noAnswer",
        reason: 'branch "noAnswer" goes to unknown applet "voicemal"',
      },
    ]);
  });

  it("maps every kind of flow issue to the field it is about", () => {
    const text = `
agents: [{ id: alice, phone: "+15550000001" }]
groups: [{ id: g, strategy: sequential, members: [alice] }]
flows:
  - id: f
    start: begin
    applets:
      menu:
        type: ivrMenu
        prompt: hi
        branches: { "1": direct, "x": nowhere }
        timeoutSec: 0
        timeoutBranch: gone
        invalidBranch: direct
      direct:
        type: connect
        target: { agent: zed }
        callerId: { custom: "12345" }
        ringTimeoutSec: -1
        branches: { busy: bye }
      ext:
        type: connect
        target: { external: "555" }
        branches: { fallback: bye }
      sipper:
        type: connect
        target: { sip: "nope" }
        branches: { fallback: bye }
      grp:
        type: connect
        target: { group: nogroup }
        branches: { fallback: bye }
      loopA: { type: greeting, audio: a, next: loopB }
      loopB: { type: greeting, audio: b, next: loopA }
      vm: { type: voicemail, maxLengthSec: 0 }
      bye: { type: hangup }
`;
    const issues = issuesOf(text);
    const byPath = new Map(issues.map((i) => [i.path, i.reason]));
    expect(byPath.get("flows[0].start")).toBe('start applet "begin" does not exist');
    expect(byPath.get("flows[0].applets.menu.branches.x")).toMatch(
      /not a DTMF digit|unknown applet "nowhere"/,
    );
    expect(byPath.get("flows[0].applets.menu.timeoutBranch")).toBe(
      'branch "timeout" goes to unknown applet "gone"',
    );
    expect(byPath.get("flows[0].applets.menu.timeoutSec")).toBe("IVR timeout must be positive");
    expect(byPath.get("flows[0].applets.direct.target")).toBe('agent "zed" is not configured');
    expect(byPath.get("flows[0].applets.direct.callerId")).toMatch(
      /custom caller ID "12345" is not an E.164/,
    );
    expect(byPath.get("flows[0].applets.direct.ringTimeoutSec")).toBe("ring timeout must be positive");
    expect(issues.filter((i) => i.path === "flows[0].applets.direct.branches").map((i) => i.reason)).toEqual([
      'no branch for outcome "noAnswer"',
      'no branch for outcome "failed"',
    ]);
    expect(byPath.get("flows[0].applets.ext.target")).toMatch(/"555" is not an E.164 number/);
    expect(byPath.get("flows[0].applets.sipper.target")).toMatch(/"nope" is not a SIP URI/);
    expect(byPath.get("flows[0].applets.grp.target")).toBe('group "nogroup" is not configured');
    expect(byPath.get("flows[0].applets.vm.maxLengthSec")).toBe("voicemail max length must be positive");
    expect(byPath.get("flows[0].applets.loopA")).toMatch(/cannot be reached|never waits/);
    expect(
      [...byPath.keys()].some(
        (p) => p.startsWith("flows[0].applets.loop") && /never waits/.test(byPath.get(p)!),
      ),
    ).toBe(true);
  });

  it("reports wrong types, missing fields and unknown fields, each at its path", () => {
    const text = `
account: { callerIdPassThrough: "yes", timeZone: Mars/Olympus, colour: blue }
agents:
  - { name: Nobody, phone: "+15550000001" }
  - { id: alice, phone: "+15550000001", wrapUpSec: -2 }
  - { id: alice, sip: "sip:a@b.c" }
  - { id: eve }
  - just a string
groups:
  - { id: g, strategy: coin-toss, members: alice }
  - { id: h, members: [alice, alice], ringTimeoutSec: "30", queue: { enabled: maybe, maxSize: 0 } }
numbers:
  - { number: "+15551234567", flow: nope }
  - { number: 5551234567, flow: f }
  - { flow: f }
flows:
  - id: f
    start: a
    applets:
      a: { type: jump }
      b: { audio: x }
  - { id: g2, start: x }
`;
    const issues = issuesOf(text);
    expect(paths(issues)).toEqual(
      expect.arrayContaining([
        "account.colour",
        "account.callerIdPassThrough",
        "account.timeZone",
        "agents[0].id",
        "agents[1].wrapUpSec",
        "agents[2].id",
        "agents[3]",
        "agents[4]",
        "groups[0].strategy",
        "groups[0].members",
        "groups[1].strategy",
        "groups[1].members[1]",
        "groups[1].ringTimeoutSec",
        "groups[1].queue.enabled",
        "groups[1].queue.maxSize",
        "numbers[0].flow",
        "numbers[1].number",
        "numbers[2].number",
        "flows[0].applets.a.type",
        "flows[0].applets.b.type",
        "flows[1].applets",
      ]),
    );
    const reason = (path: string) => issues.find((i) => i.path === path)?.reason;
    expect(reason("account.colour")).toMatch(/^unknown field/);
    expect(reason("account.callerIdPassThrough")).toBe('must be true or false, got string "yes"');
    expect(reason("agents[0].id")).toBe("is required");
    expect(reason("agents[2].id")).toBe('agent "alice" is defined twice');
    expect(reason("groups[0].strategy")).toMatch(/unknown value "coin-toss"/);
    expect(reason("groups[1].members[1]")).toBe('agent "alice" is listed twice');
    expect(reason("groups[1].ringTimeoutSec")).toBe('must be a number, got string "30"');
    expect(reason("numbers[1].number")).toMatch(/5551234567 is not an E.164 number/);
    expect(reason("flows[0].applets.a.type")).toMatch(/unknown applet type "jump"/);
  });

  it("reports YAML syntax errors with their line and unreadable files", () => {
    const issues = issuesOf("agents:\n  - id: a\n   name: b\n  - [\n");
    expect(issues[0]?.reason).toMatch(/^YAML syntax at line \d+/);
    expect(() => loadContactCentre("/nonexistent/cc.yaml")).toThrow(
      /nonexistent\/cc.yaml:\(document\): cannot read/,
    );
  });

  it("accepts numbers as a mapping and reports at the number's key", () => {
    const text = `${VALID.replace(/numbers:\n.*\n/, "")}numbers:\n  "+442071234567": main\n  "+44 20": main\n`;
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual(['numbers["+44 20"]']);
  });
});

describe("missed-offer settings", () => {
  it("the account default and a group's own value reach the configuration", () => {
    const text = VALID.replace(
      "  timeZone: Europe/London\n",
      "  timeZone: Europe/London\n  maxMissedOffers: 5\n",
    ).replace(
      "    ringTimeoutSec: 20\n",
      "    ringTimeoutSec: 20\n    maxMissedOffers: 2\n    missedOfferCooldownSec: 15\n",
    );
    const cc = parseContactCentre(text, "cc.yaml");
    expect(cc.commands).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "ConfigureAccount", maxMissedOffers: 5 }),
        expect.objectContaining({
          type: "DefineGroup",
          groupId: "sales",
          maxMissedOffers: 2,
          missedOfferCooldownSec: 15,
        }),
      ]),
    );
    const events = configEventsFor(cc, EMPTY_CONFIG);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: "GroupDefined",
          data: expect.objectContaining({
            group: expect.objectContaining({ maxMissedOffers: 2, missedOfferCooldownSec: 15 }),
          }),
        }),
      ]),
    );
  });

  it("negative, fractional or non-numeric values are rejected at their paths", () => {
    const text = VALID.replace(
      "  timeZone: Europe/London\n",
      "  timeZone: Europe/London\n  missedOfferCooldownSec: -1\n",
    ).replace(
      "    ringTimeoutSec: 20\n",
      "    ringTimeoutSec: 20\n    maxMissedOffers: 1.5\n    missedOfferCooldownSec: soon\n",
    );
    const issues = issuesOf(text);
    const byPath = new Map(issues.map((i) => [i.path, i.reason]));
    expect(byPath.get("account.missedOfferCooldownSec")).toBe("must be 0 or more, got -1");
    expect(byPath.get("groups[0].maxMissedOffers")).toBe("must be a whole number, got 1.5");
    expect(byPath.get("groups[0].missedOfferCooldownSec")).toBe('must be a number, got string "soon"');
  });
});

describe("a time condition (business hours) in the file", () => {
  const HOURS = VALID.replace("    start: welcome\n", "    start: hours\n").replace(
    "      welcome: {",
    `      hours:
        type: timeCondition
        timeZone: Europe/London
        hours:
          - { days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:30" }
          - { days: [sat], from: "10:00", to: "13:00" }
        closedDates: ["2026-12-25", "2026-12-26"]
        open: welcome
        closed: vm
      welcome: {`,
  );

  it("reads its opening rules, holidays and branches into the flow", () => {
    const { snapshot } = parseContactCentre(HOURS, "cc.yaml");
    expect(snapshot.flows.main?.applets.hours).toEqual({
      kind: "timeCondition",
      timeZone: "Europe/London",
      hours: [
        { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:30" },
        { days: ["sat"], from: "10:00", to: "13:00" },
      ],
      closedDates: ["2026-12-25", "2026-12-26"],
      open: "welcome",
      closed: "vm",
    });
  });

  it("points each problem at its key: the time zone, a rule's day and time, a dangling branch", () => {
    const bad = HOURS.replace(
      "timeZone: Europe/London\n        hours",
      "timeZone: Europe/Londres\n        hours",
    )
      .replace("days: [sat]", "days: [saturday]")
      .replace('to: "13:00"', 'to: "1pm"')
      .replace("closed: vm", "closed: nowhere");
    expect(paths(issuesOf(bad))).toEqual([
      "flows[0].applets.hours.closed",
      "flows[0].applets.hours.timeZone",
      "flows[0].applets.hours.hours[1].days",
      "flows[0].applets.hours.hours[1].to",
    ]);
  });
});
