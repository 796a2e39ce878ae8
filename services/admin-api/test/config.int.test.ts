// Agents, groups, numbers and flows through the generated clients against real PostgreSQL and NATS.
import { status } from "@grpc/grpc-js";
import {
  Account,
  Account_CallsPeriod,
  Agent,
  Agent_Status,
  FlowChange_Kind,
  FlowSpec,
  Group,
  Strategy,
} from "@switchyard/admin-proto";
import { CONFIG_STREAM } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusDetails } from "../src/index.js";
import { call, failure, type Harness, startHarness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness("config");
});
afterAll(async () => {
  await h?.close();
});

const newAgent = (agentId: string, phoneNumber = "+15550100") =>
  call(h.agents, h.agents.createAgent, {
    agentId,
    agent: Agent.fromPartial({ displayName: `Agent ${agentId}`, phoneNumber }),
  });

const connectFlow = (group: string): FlowSpec =>
  FlowSpec.fromPartial({
    displayName: "Main",
    startApplet: "hello",
    applets: {
      hello: { greeting: { audio: { tts: "Welcome" }, next: "ring" } },
      ring: { connect: { group, callerId: 0, record: 0, customCallerId: "", fallbackBranch: "bye" } },
      bye: { hangup: {} },
    },
  });

describe("AccountService", () => {
  it("reads the settings, changes only the masked fields, keeps the dial policy, and refuses a stale etag or a bad policy", async () => {
    const before = await call(h.account, h.account.getAccount, { name: "account" });
    expect(before).toMatchObject({ name: "account", recordCalls: false, timeZone: "UTC" });
    const updated = await call(h.account, h.account.updateAccount, {
      account: Account.fromPartial({
        recordCalls: true,
        timeZone: "Europe/London", // not in the mask: unchanged
        dialPolicy: { allowedCountryCodes: ["44", "1"], deniedPrefixes: ["+44909", "+1900"] },
        etag: before.etag,
      }),
      updateMask: ["record_calls", "dial_policy"],
    });
    expect(updated).toMatchObject({
      recordCalls: true,
      timeZone: "UTC",
      callsPeriod: Account_CallsPeriod.CALLS_PERIOD_DAY,
      dialPolicy: { allowedCountryCodes: ["44", "1"], deniedPrefixes: ["+44909", "+1900"] },
    });
    expect(updated.etag).not.toBe(before.etag);
    const stale = await failure(
      call(h.account, h.account.updateAccount, {
        account: Account.fromPartial({ recordCalls: false, etag: before.etag }),
        updateMask: ["record_calls"],
      }),
    );
    expect(stale.code).toBe(status.ABORTED);
    const bad = await failure(
      call(h.account, h.account.updateAccount, {
        account: Account.fromPartial({
          dialPolicy: { allowedCountryCodes: ["+44"], deniedPrefixes: ["1900"] },
        }),
        updateMask: ["dial_policy"],
      }),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(statusDetails(bad).badRequest?.fieldViolations.map((v) => v.field)).toEqual([
      "account.dial_policy",
    ]);
    const noMask = await failure(
      call(h.account, h.account.updateAccount, {
        account: Account.fromPartial({ recordCalls: false }),
        updateMask: [],
      }),
    );
    expect(noMask.code).toBe(status.INVALID_ARGUMENT);
    // Another change keeps the policy.
    const again = await call(h.account, h.account.updateAccount, {
      account: Account.fromPartial({ callerIdPassThrough: true }),
      updateMask: ["caller_id_pass_through"],
    });
    expect(again.dialPolicy?.deniedPrefixes).toEqual(["+44909", "+1900"]);
  });
});

describe("AgentService", () => {
  it("creates, gets, updates with an etag, and refuses a stale etag with ABORTED", async () => {
    const created = await newAgent("ann");
    expect(created).toMatchObject({
      name: "agents/ann",
      displayName: "Agent ann",
      phoneNumber: "+15550100",
      status: Agent_Status.STATUS_SIGNED_OUT,
    });
    expect(await call(h.agents, h.agents.getAgent, { name: "agents/ann" })).toEqual(created);

    const updated = await call(h.agents, h.agents.updateAgent, {
      agent: { ...created, sipUri: "sip:ann@pbx.example.com", phoneNumber: undefined, wrapUpSeconds: 15 },
      updateMask: ["sip_uri", "wrap_up_seconds"],
    });
    expect(updated).toMatchObject({
      sipUri: "sip:ann@pbx.example.com",
      wrapUpSeconds: 15,
      displayName: "Agent ann",
    });
    expect(updated.etag).not.toBe(created.etag);

    const before = await h.countEvents();
    const stale = await failure(
      call(h.agents, h.agents.updateAgent, {
        agent: { ...created, displayName: "X" },
        updateMask: ["display_name"],
      }),
    );
    expect(stale.code).toBe(status.ABORTED);
    expect(statusDetails(stale).errorInfo?.reason).toBe("ETAG_MISMATCH");
    expect(statusDetails(stale).preconditionFailure?.violations[0]?.subject).toBe("agents/ann");
    expect(await h.countEvents()).toBe(before);
  });

  it("rejects a bad agent with every field violation, and a duplicate with ALREADY_EXISTS", async () => {
    const bad = await failure(
      call(h.agents, h.agents.createAgent, {
        agentId: "no spaces",
        agent: Agent.fromPartial({ displayName: "", phoneNumber: "5550100", wrapUpSeconds: -1 }),
      }),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(
      statusDetails(bad)
        .badRequest?.fieldViolations.map((v) => v.field)
        .sort(),
    ).toEqual(["agent.display_name", "agent.phone_number", "agent.wrap_up_seconds", "agent_id"]);
    await newAgent("dup");
    const dup = await failure(newAgent("dup"));
    expect(dup.code).toBe(status.ALREADY_EXISTS);
    const missing = await failure(call(h.agents, h.agents.getAgent, { name: "agents/nobody" }));
    expect(missing.code).toBe(status.NOT_FOUND);
  });

  it("lists in pages with page tokens and filters by group and status", async () => {
    for (const id of ["p1", "p2", "p3", "p4", "p5"]) await newAgent(id);
    await call(h.groups, h.groups.createGroup, {
      groupId: "pagers",
      group: Group.fromPartial({
        displayName: "Pagers",
        strategy: Strategy.STRATEGY_ROUND_ROBIN,
        members: ["agents/p2", "agents/p4"],
      }),
    });
    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const page = await call(h.agents, h.agents.listAgents, { pageSize: 2, pageToken, filter: "" });
      expect(page.agents.length).toBeLessThanOrEqual(2);
      seen.push(...page.agents.map((a) => a.name));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== "");
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(
      expect.arrayContaining(["agents/p1", "agents/p2", "agents/p3", "agents/p4", "agents/p5"]),
    );
    expect(pages).toBe(Math.ceil(seen.length / 2));

    const inGroup = await call(h.agents, h.agents.listAgents, {
      pageSize: 0,
      pageToken: "",
      filter: 'group = "groups/pagers"',
    });
    expect(inGroup.agents.map((a) => a.name)).toEqual(["agents/p2", "agents/p4"]);
    expect(inGroup.agents[0]?.groups).toEqual(["groups/pagers"]);

    const badFilter = await failure(
      call(h.agents, h.agents.listAgents, { pageSize: 0, pageToken: "", filter: "colour = red" }),
    );
    expect(badFilter.code).toBe(status.INVALID_ARGUMENT);
    const badToken = await failure(
      call(h.agents, h.agents.listAgents, { pageSize: 1, pageToken: "nonsense", filter: "" }),
    );
    expect(badToken.code).toBe(status.INVALID_ARGUMENT);
  });

  it("signs in, takes a break, ends it and signs out through agent-presence", async () => {
    await newAgent("sam");
    const signedIn = await call(h.agents, h.agents.signInAgent, { name: "agents/sam" });
    expect(signedIn.status).toBe(Agent_Status.STATUS_AVAILABLE);
    expect(signedIn.idleSince).toBeInstanceOf(Date);
    const available = await call(h.agents, h.agents.listAgents, {
      pageSize: 0,
      pageToken: "",
      filter: "status = STATUS_AVAILABLE",
    });
    expect(available.agents.map((a) => a.name)).toEqual(["agents/sam"]);
    const onBreak = await call(h.agents, h.agents.startAgentBreak, { name: "agents/sam", reason: "lunch" });
    expect(onBreak).toMatchObject({ status: Agent_Status.STATUS_ON_BREAK, breakReason: "lunch" });
    const back = await call(h.agents, h.agents.endAgentBreak, { name: "agents/sam" });
    expect(back.status).toBe(Agent_Status.STATUS_AVAILABLE);
    const notWrapping = await failure(call(h.agents, h.agents.endAgentWrapUp, { name: "agents/sam" }));
    expect(notWrapping.code).toBe(status.FAILED_PRECONDITION);
    const out = await call(h.agents, h.agents.signOutAgent, { name: "agents/sam" });
    expect(out.status).toBe(Agent_Status.STATUS_SIGNED_OUT);
    const breakWhileOut = await failure(
      call(h.agents, h.agents.startAgentBreak, { name: "agents/sam", reason: "" }),
    );
    expect(breakWhileOut.code).toBe(status.FAILED_PRECONDITION);
  });

  it("refuses to delete an agent a group uses, then deletes it once free", async () => {
    await newAgent("gone");
    const g = await call(h.groups, h.groups.createGroup, {
      groupId: "holders",
      group: Group.fromPartial({
        displayName: "Holders",
        strategy: Strategy.STRATEGY_SEQUENTIAL,
        members: ["agents/gone"],
      }),
    });
    const inUse = await failure(call(h.agents, h.agents.deleteAgent, { name: "agents/gone", etag: "" }));
    expect(inUse.code).toBe(status.FAILED_PRECONDITION);
    expect(statusDetails(inUse).preconditionFailure?.violations[0]?.subject).toBe("group holders");
    await call(h.groups, h.groups.updateGroup, { group: { ...g, members: [] }, updateMask: ["members"] });
    await call(h.agents, h.agents.deleteAgent, { name: "agents/gone", etag: "" });
    expect((await failure(call(h.agents, h.agents.getAgent, { name: "agents/gone" }))).code).toBe(
      status.NOT_FOUND,
    );
  });
});

describe("GroupService", () => {
  it("creates a group with strategy, ordered members, ring settings and queue; updates it; lists and filters", async () => {
    await newAgent("g1");
    await newAgent("g2");
    const group = await call(h.groups, h.groups.createGroup, {
      groupId: "sales",
      group: Group.fromPartial({
        displayName: "Sales",
        strategy: Strategy.STRATEGY_SEQUENTIAL,
        members: ["agents/g2", "agents/g1"],
        ringTimeoutSeconds: 20,
        maxRingAttempts: 2,
        queue: {
          enabled: true,
          holdMusic: { url: "https://example.com/hold.mp3" },
          announcePosition: true,
          announceEverySeconds: 45,
          maxWaitSeconds: 600,
          maxSize: 5,
        },
        maxMissedOffers: 2,
      }),
    });
    expect(group).toMatchObject({
      name: "groups/sales",
      members: ["agents/g2", "agents/g1"],
      ringTimeoutSeconds: 20,
      maxRingAttempts: 2,
      maxMissedOffers: 2,
      queue: { enabled: true, maxSize: 5, holdMusic: { url: "https://example.com/hold.mp3" } },
    });
    const updated = await call(h.groups, h.groups.updateGroup, {
      group: { ...group, strategy: Strategy.STRATEGY_LONGEST_IDLE },
      updateMask: ["strategy"],
    });
    expect(updated.strategy).toBe(Strategy.STRATEGY_LONGEST_IDLE);
    expect(updated.members).toEqual(["agents/g2", "agents/g1"]);
    const stale = await failure(call(h.groups, h.groups.updateGroup, { group, updateMask: ["strategy"] }));
    expect(stale.code).toBe(status.ABORTED);
    const byMember = await call(h.groups, h.groups.listGroups, {
      pageSize: 0,
      pageToken: "",
      filter: 'member = "agents/g1"',
    });
    expect(byMember.groups.map((g) => g.name)).toEqual(["groups/sales"]);
    const got = await call(h.groups, h.groups.getGroup, { name: "groups/sales" });
    expect(got).toEqual(updated);
  });

  it("names every bad field of a group", async () => {
    const bad = await failure(
      call(h.groups, h.groups.createGroup, {
        groupId: "bad",
        group: Group.fromPartial({
          displayName: "Bad",
          strategy: 99 as Strategy,
          members: ["agents/nobody", "nonsense"],
          ringTimeoutSeconds: -5,
          queue: { maxSize: -1 },
        }),
      }),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(
      statusDetails(bad)
        .badRequest?.fieldViolations.map((v) => v.field)
        .sort(),
    ).toEqual([
      "group.members[0]",
      "group.members[1]",
      "group.queue.max_size",
      "group.ring_timeout_seconds",
      "group.strategy",
    ]);
  });
});

describe("FlowService and NumberService", () => {
  it("validates without saving, listing every problem with its applet and field", async () => {
    const before = await h.countEvents();
    const result = await call(h.flows, h.flows.validateFlow, {
      name: "flows/broken",
      spec: FlowSpec.fromPartial({
        displayName: "Broken",
        startApplet: "menu",
        applets: {
          menu: {
            ivrMenu: {
              prompt: { tts: "Press 1" },
              branches: { "1": "ring", x: "loop" },
              timeoutSeconds: 5,
              retries: 1,
              timeoutBranch: "nowhere",
              invalidBranch: "",
            },
          },
          ring: { connect: { group: "groups/ghosts", callerId: 0, record: 0, customCallerId: "" } },
          loop: { greeting: { audio: { tts: "again" }, next: "loop2" } },
          loop2: { greeting: { audio: { tts: "again" }, next: "loop" } },
        },
      }),
    });
    const problems = result.problems.map((p) => `${p.reason} ${p.field}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'UNKNOWN_APPLET spec.applets["menu"].ivr_menu.timeout_branch',
        'MISSING_BRANCH spec.applets["menu"].ivr_menu.invalid_branch',
        'INVALID_SETTING spec.applets["menu"]',
        'UNKNOWN_GROUP spec.applets["ring"].connect.group',
        'MISSING_BRANCH spec.applets["ring"].connect.fallback_branch',
        expect.stringMatching(/^CYCLE_WITHOUT_WAIT spec\.applets\["loop2?"\]$/),
      ]),
    );
    expect(result.problems.every((p) => p.applet !== "")).toBe(true);
    expect(await h.countEvents()).toBe(before);
  });

  it("saves versions, lists them, diffs two, publishes one, and routes a number to it", async () => {
    await newAgent("f1");
    await call(h.groups, h.groups.createGroup, {
      groupId: "support",
      group: Group.fromPartial({
        displayName: "Support",
        strategy: Strategy.STRATEGY_ROUND_ROBIN,
        members: ["agents/f1"],
      }),
    });
    const v1 = await call(h.flows, h.flows.createFlowVersion, {
      parent: "flows/main",
      spec: connectFlow("groups/support"),
      etag: "",
    });
    expect(v1).toMatchObject({ name: "flows/main/versions/1", published: false, creator: "test" });
    const changed = connectFlow("groups/support");
    (changed.applets.hello!.greeting!.audio as { tts?: string }).tts = "Hello again";
    const staleDraft = await failure(
      call(h.flows, h.flows.createFlowVersion, {
        parent: "flows/main",
        spec: changed,
        etag: "flows/main/versions/7",
      }),
    );
    expect(staleDraft.code).toBe(status.ABORTED);
    const v2 = await call(h.flows, h.flows.createFlowVersion, {
      parent: "flows/main",
      spec: changed,
      etag: v1.name,
    });
    expect(v2.name).toBe("flows/main/versions/2");

    const listed = await call(h.flows, h.flows.listFlowVersions, {
      parent: "flows/main",
      pageSize: 1,
      pageToken: "",
    });
    expect(listed.flowVersions.map((v) => v.name)).toEqual(["flows/main/versions/2"]);
    const rest = await call(h.flows, h.flows.listFlowVersions, {
      parent: "flows/main",
      pageSize: 1,
      pageToken: listed.nextPageToken,
    });
    expect(rest.flowVersions.map((v) => v.name)).toEqual(["flows/main/versions/1"]);
    expect(rest.nextPageToken).toBe("");

    const diff = await call(h.flows, h.flows.diffFlowVersions, { name: v1.name, other: v2.name });
    expect(diff.changes).toEqual([
      {
        path: 'applets["hello"].greeting.audio.tts',
        kind: FlowChange_Kind.KIND_CHANGED,
        before: '"Welcome"',
        after: '"Hello again"',
      },
    ]);

    const notPublished = await failure(
      call(h.numbers, h.numbers.createNumber, {
        number: { name: "numbers/+15557000", flow: "flows/main", etag: "" },
      }),
    );
    expect(notPublished.code).toBe(status.FAILED_PRECONDITION);

    const configBefore = await h.eventStore.store.streamVersion(CONFIG_STREAM);
    const flow = await call(h.flows, h.flows.publishFlowVersion, { name: v1.name, etag: "" });
    expect(flow).toMatchObject({ name: "flows/main", publishedVersion: v1.name });
    expect(await h.eventStore.store.streamVersion(CONFIG_STREAM)).toBe(configBefore + 1);
    const republish = await failure(call(h.flows, h.flows.publishFlowVersion, { name: v2.name, etag: "1" }));
    expect(republish.code).toBe(status.ABORTED);
    const flow2 = await call(h.flows, h.flows.publishFlowVersion, { name: v2.name, etag: flow.etag });
    expect(flow2.publishedVersion).toBe(v2.name);
    expect((await call(h.flows, h.flows.getFlowVersion, { name: v2.name })).published).toBe(true);
    expect((await call(h.flows, h.flows.getFlowVersion, { name: v1.name })).published).toBe(false);
    const flows = await call(h.flows, h.flows.listFlows, { pageSize: 0, pageToken: "" });
    expect(flows.flows.map((f) => f.name)).toEqual(["flows/main"]);

    const number = await call(h.numbers, h.numbers.createNumber, {
      number: { name: "numbers/+15557000", flow: "flows/main", etag: "" },
    });
    expect(number.flow).toBe("flows/main");
    expect(await call(h.numbers, h.numbers.getNumber, { name: "numbers/+15557000" })).toEqual(number);
    const listed2 = await call(h.numbers, h.numbers.listNumbers, {
      pageSize: 0,
      pageToken: "",
      filter: 'flow = "flows/main"',
    });
    expect(listed2.numbers.map((n) => n.name)).toEqual(["numbers/+15557000"]);
    const badNumber = await failure(
      call(h.numbers, h.numbers.createNumber, {
        number: { name: "numbers/5557000", flow: "flows/main", etag: "" },
      }),
    );
    expect(badNumber.code).toBe(status.INVALID_ARGUMENT);
    expect(statusDetails(badNumber).badRequest?.fieldViolations[0]?.field).toBe("number.name");

    const inUse = await failure(call(h.flows, h.flows.deleteFlow, { name: "flows/main", etag: "" }));
    expect(inUse.code).toBe(status.FAILED_PRECONDITION);
    const staleNumber = await failure(
      call(h.numbers, h.numbers.updateNumber, { number: { ...number, etag: "1" }, updateMask: ["flow"] }),
    );
    expect(staleNumber.code).toBe(status.ABORTED);
    await call(h.numbers, h.numbers.deleteNumber, { name: "numbers/+15557000", etag: number.etag });
    await call(h.flows, h.flows.deleteFlow, { name: "flows/main", etag: "" });
    expect((await failure(call(h.flows, h.flows.getFlow, { name: "flows/main" }))).code).toBe(
      status.NOT_FOUND,
    );
    // The history stays.
    expect((await call(h.flows, h.flows.getFlowVersion, { name: v2.name })).published).toBe(false);
  });

  it("refuses to save a version with problems, naming them", async () => {
    const bad = await failure(
      call(h.flows, h.flows.createFlowVersion, {
        parent: "flows/dangling",
        spec: connectFlow("groups/nope"),
        etag: "",
      }),
    );
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect(statusDetails(bad).badRequest?.fieldViolations.map((v) => v.field)).toContain(
      'spec.applets["ring"].connect.group',
    );
  });
});
