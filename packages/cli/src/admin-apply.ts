// `switchyard apply -f FILE` and `switchyard export`: the whole contact centre, declaratively, over the admin
// API in the YAML format of @switchyard/contact-centre. Apply validates the file in full first (every
// problem listed, nothing changed), prints the changes, then makes them with the etags it read (a resource
// someone changed meanwhile is ABORTED, not overwritten). Account settings are not part of the admin API
// yet: apply says so and leaves them alone; export omits them.
import {
  agentDefinitionPb,
  dialPolicyFromPb,
  dialPolicyPb,
  fromFlowSpec,
  groupDefinitionPb,
  strategyFromPb,
  toFlowSpec,
} from "@switchyard/admin-api";
import {
  Account,
  Account_CallsPeriod,
  type Agent,
  type Audio as AudioPb,
  FlowSpec,
  type Group,
  type Number as NumberPb,
} from "@switchyard/admin-proto";
import { loadContactCentre } from "@switchyard/contact-centre";
import type { Applet, Audio, ConfigCommand } from "@switchyard/routing-domain";
import { stringify } from "yaml";
import { type AdminClients, listAll, rpc } from "./admin-client.js";
import type { CliContext } from "./context.js";

const short = (name: string) => name.slice(name.indexOf("/") + 1);

const agentKey = (a: Agent) =>
  JSON.stringify([a.displayName, a.phoneNumber ?? null, a.sipUri ?? null, a.wrapUpSeconds]);
const groupKey = (g: Group) => canonical({ ...g, name: "", etag: "" });
/** JSON with keys sorted: maps (applets, branches) come back from the wire in any order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
const specKey = (s: FlowSpec | undefined) => canonical(FlowSpec.toJSON(s ?? FlowSpec.fromPartial({})));

interface Change {
  readonly line: string;
  readonly run: () => Promise<unknown>;
}

/**
 * The account settings the file declares (only those: an account section that leaves a setting out keeps
 * the current value), compared with the API's; one UpdateAccount with the changed fields in its mask.
 */
async function accountChangeFor(
  a: AdminClients,
  commands: readonly ConfigCommand[],
): Promise<Change | undefined> {
  const declared = commands.find((c) => c.type === "ConfigureAccount");
  if (declared?.type !== "ConfigureAccount") return undefined;
  const have = await rpc(a, a.account, a.account.getAccount, { name: "account" });
  const periods: Record<string, Account_CallsPeriod> = {
    hour: Account_CallsPeriod.CALLS_PERIOD_HOUR,
    day: Account_CallsPeriod.CALLS_PERIOD_DAY,
    week: Account_CallsPeriod.CALLS_PERIOD_WEEK,
    month: Account_CallsPeriod.CALLS_PERIOD_MONTH,
  };
  const want = Account.fromPartial({
    etag: have.etag,
    ...(declared.callerIdPassThrough === undefined
      ? {}
      : { callerIdPassThrough: declared.callerIdPassThrough }),
    ...(declared.recordCalls === undefined ? {} : { recordCalls: declared.recordCalls }),
    ...(declared.timeZone === undefined ? {} : { timeZone: declared.timeZone }),
    ...(declared.callsPeriod === undefined ? {} : { callsPeriod: periods[declared.callsPeriod] }),
    ...(declared.maxMissedOffers === undefined ? {} : { maxMissedOffers: declared.maxMissedOffers }),
    ...(declared.missedOfferCooldownSec === undefined
      ? {}
      : { missedOfferCooldownSeconds: declared.missedOfferCooldownSec }),
    ...(declared.dialPolicy === undefined ? {} : { dialPolicy: dialPolicyPb(declared.dialPolicy) }),
  });
  const fields: Array<[string, unknown, unknown, boolean]> = [
    [
      "caller_id_pass_through",
      want.callerIdPassThrough,
      have.callerIdPassThrough,
      declared.callerIdPassThrough !== undefined,
    ],
    ["record_calls", want.recordCalls, have.recordCalls, declared.recordCalls !== undefined],
    ["time_zone", want.timeZone, have.timeZone, declared.timeZone !== undefined],
    ["calls_period", want.callsPeriod, have.callsPeriod, declared.callsPeriod !== undefined],
    ["max_missed_offers", want.maxMissedOffers, have.maxMissedOffers, declared.maxMissedOffers !== undefined],
    [
      "missed_offer_cooldown_seconds",
      want.missedOfferCooldownSeconds,
      have.missedOfferCooldownSeconds,
      declared.missedOfferCooldownSec !== undefined,
    ],
    [
      "dial_policy",
      JSON.stringify(want.dialPolicy),
      JSON.stringify(have.dialPolicy),
      declared.dialPolicy !== undefined,
    ],
  ];
  const changed = fields.filter(([, w, h, isDeclared]) => isDeclared && w !== h).map(([field]) => field);
  if (changed.length === 0) return undefined;
  return {
    line: `~ account (${changed.join(", ")})`,
    run: () => rpc(a, a.account, a.account.updateAccount, { account: want, updateMask: changed }),
  };
}

export async function applyContactCentre(
  ctx: CliContext,
  a: AdminClients,
  file: string,
  dryRun: boolean,
): Promise<number> {
  const cc = loadContactCentre(file); // every problem in the file, before anything is read or changed
  for (const w of cc.warnings) ctx.err(`${w.file}:${w.path}: ${w.reason}`);
  const desired = cc.snapshot;
  const [agents, groups, flows, numbers] = await Promise.all([
    listAll(a, "agents", ""),
    listAll(a, "groups", ""),
    listAll(a, "flows", ""),
    listAll(a, "numbers", ""),
  ]);
  const byId = <T extends { name: string }>(items: T[]) => new Map(items.map((i) => [short(i.name), i]));
  const [curAgents, curGroups, curFlows, curNumbers] = [
    byId(agents),
    byId(groups),
    byId(flows),
    byId(numbers),
  ];
  const creates: Change[] = [];
  const deletes: Change[] = [];
  const accountChange = await accountChangeFor(a, cc.commands);
  if (accountChange) creates.push(accountChange);

  for (const agent of Object.values(desired.agents)) {
    const want = agentDefinitionPb(agent);
    const have = curAgents.get(agent.agentId);
    if (!have)
      creates.push({
        line: `+ agent ${agent.agentId}`,
        run: () => rpc(a, a.agents, a.agents.createAgent, { agentId: agent.agentId, agent: want }),
      });
    else if (agentKey(have) !== agentKey(want))
      creates.push({
        line: `~ agent ${agent.agentId}`,
        run: () =>
          rpc(a, a.agents, a.agents.updateAgent, { agent: { ...want, etag: have.etag }, updateMask: ["*"] }),
      });
  }
  // Groups before flows (flows ring groups), and a group's removed members after the group changed.
  for (const group of Object.values(desired.groups)) {
    const want = groupDefinitionPb(group);
    const have = curGroups.get(group.groupId);
    if (!have)
      creates.push({
        line: `+ group ${group.groupId}`,
        run: () => rpc(a, a.groups, a.groups.createGroup, { groupId: group.groupId, group: want }),
      });
    else if (groupKey(have) !== groupKey(want))
      creates.push({
        line: `~ group ${group.groupId}`,
        run: () =>
          rpc(a, a.groups, a.groups.updateGroup, {
            group: { ...want, name: have.name, etag: have.etag },
            updateMask: [],
          }),
      });
  }
  for (const flow of Object.values(desired.flows)) {
    const spec = toFlowSpec(flow);
    const have = curFlows.get(flow.flowId);
    if (have && specKey(have.spec) === specKey(spec)) continue;
    creates.push({
      line: `${have ? "~" : "+"} flow ${flow.flowId} (new version, published)`,
      run: async () => {
        const version = await rpc(a, a.flows, a.flows.createFlowVersion, {
          parent: `flows/${flow.flowId}`,
          spec,
          etag: "",
        });
        return rpc(a, a.flows, a.flows.publishFlowVersion, { name: version.name, etag: have?.etag ?? "" });
      },
    });
  }
  for (const n of Object.values(desired.numbers)) {
    const have = curNumbers.get(n.number);
    const want: NumberPb = { name: `numbers/${n.number}`, flow: `flows/${n.flowId}`, etag: have?.etag ?? "" };
    if (!have)
      creates.push({
        line: `+ number ${n.number} → ${n.flowId}`,
        run: () => rpc(a, a.numbers, a.numbers.createNumber, { number: want }),
      });
    else if (have.flow !== want.flow)
      creates.push({
        line: `~ number ${n.number} → ${n.flowId}`,
        run: () => rpc(a, a.numbers, a.numbers.updateNumber, { number: want, updateMask: ["flow"] }),
      });
  }
  // Removals, users before what they use: numbers, flows, groups, agents.
  for (const [id, n] of curNumbers)
    if (!desired.numbers[id])
      deletes.push({
        line: `- number ${id}`,
        run: () => rpc(a, a.numbers, a.numbers.deleteNumber, { name: n.name, etag: n.etag }),
      });
  for (const [id, f] of curFlows)
    if (!desired.flows[id])
      deletes.push({
        line: `- flow ${id}`,
        run: () => rpc(a, a.flows, a.flows.deleteFlow, { name: f.name, etag: f.etag }),
      });
  for (const [id, g] of curGroups)
    if (!desired.groups[id])
      deletes.push({
        line: `- group ${id}`,
        run: () => rpc(a, a.groups, a.groups.deleteGroup, { name: g.name, etag: g.etag }),
      });
  for (const [id, x] of curAgents)
    if (!desired.agents[id])
      deletes.push({
        line: `- agent ${id}`,
        run: () => rpc(a, a.agents, a.agents.deleteAgent, { name: x.name, etag: x.etag }),
      });

  const changes = [...creates, ...deletes];
  if (changes.length === 0) {
    ctx.out(`${file}: nothing to change`);
    return 0;
  }
  ctx.out(`${file}: ${changes.length} change${changes.length === 1 ? "" : "s"}`);
  for (const c of changes) ctx.out(`  ${c.line}`);
  if (dryRun) {
    ctx.out("dry run: nothing changed");
    return 0;
  }
  for (const c of changes) await c.run();
  ctx.out(`applied ${changes.length} change${changes.length === 1 ? "" : "s"}`);
  return 0;
}

function audioPbYaml(a: AudioPb | undefined): unknown {
  if (!a || a.defaultTone) return "default";
  if (a.ringback) return "ringback";
  if (a.url !== undefined) return { url: a.url };
  if (a.audioFile !== undefined) return { file: a.audioFile.replace(/^audio\//, "") };
  return { tts: a.tts ?? "" };
}

function audioYaml(a: Audio): unknown {
  switch (a.kind) {
    case "defaultTone":
      return "default";
    case "ringback":
      return "ringback";
    case "url":
      return { url: a.url };
    case "tts":
      return { tts: a.text };
    case "stored":
      return { file: a.audioId };
    default: {
      const unknown: never = a;
      throw new Error(`unknown audio ${JSON.stringify(unknown)}`);
    }
  }
}

function appletYaml(applet: Applet): Record<string, unknown> {
  const opt = (key: string, value: unknown) => (value === undefined ? {} : { [key]: value });
  switch (applet.kind) {
    case "greeting":
      return { type: "greeting", audio: audioYaml(applet.audio), ...opt("next", applet.next) };
    case "ivrMenu":
      return {
        type: "ivrMenu",
        prompt: audioYaml(applet.prompt),
        branches: { ...applet.branches },
        timeoutSec: applet.timeoutSec,
        retries: applet.retries,
        timeoutBranch: applet.timeoutBranch,
        invalidBranch: applet.invalidBranch,
      };
    case "connect": {
      const t = applet.target;
      const target =
        t.kind === "agent"
          ? { agent: t.agentId }
          : t.kind === "group"
            ? { group: t.groupId }
            : t.kind === "sip"
              ? { sip: t.uri }
              : t.kind === "external"
                ? { external: t.number }
                : { number: t.number };
      const c = applet.callerId;
      return {
        type: "connect",
        target,
        ...opt("ringTimeoutSec", applet.ringTimeoutSec),
        ...opt("callerId", c === undefined ? undefined : c.kind === "custom" ? { custom: c.number } : c.kind),
        ...opt("holdMusic", applet.holdMusic && audioYaml(applet.holdMusic)),
        ...opt("whisper", applet.whisper && audioYaml(applet.whisper)),
        ...opt("record", applet.record),
        ...opt("maxRingAttempts", applet.maxRingAttempts),
        branches: { ...applet.branches },
      };
    }
    case "voicemail":
      return {
        type: "voicemail",
        ...opt("greeting", applet.greeting && audioYaml(applet.greeting)),
        maxLengthSec: applet.maxLengthSec,
        ...opt("next", applet.next),
      };
    case "hangup":
      return { type: "hangup" };
    case "timeCondition":
      return {
        type: "timeCondition",
        ...opt("timeZone", applet.timeZone),
        hours: applet.hours.map((rule) => ({ days: [...rule.days], from: rule.from, to: rule.to })),
        ...opt("closedDates", applet.closedDates && [...applet.closedDates]),
        open: applet.open,
        closed: applet.closed,
      };
    default: {
      const unknown: never = applet;
      throw new Error(`unknown applet ${JSON.stringify(unknown)}`);
    }
  }
}

/** The current agents, groups, numbers and published flows as contact-centre YAML. */
export async function exportContactCentre(a: AdminClients): Promise<string> {
  const [account, agents, groups, flows, numbers] = await Promise.all([
    rpc(a, a.account, a.account.getAccount, { name: "account" }),
    listAll(a, "agents", ""),
    listAll(a, "groups", ""),
    listAll(a, "flows", ""),
    listAll(a, "numbers", ""),
  ]);
  const period = Object.entries(Account_CallsPeriod).find(([, v]) => v === account.callsPeriod)?.[0] ?? "";
  const doc = {
    account: {
      callerIdPassThrough: account.callerIdPassThrough,
      recordCalls: account.recordCalls,
      timeZone: account.timeZone,
      callsPeriod: period.replace("CALLS_PERIOD_", "").toLowerCase() || "day",
      ...(account.maxMissedOffers === undefined ? {} : { maxMissedOffers: account.maxMissedOffers }),
      ...(account.missedOfferCooldownSeconds === undefined
        ? {}
        : { missedOfferCooldownSec: account.missedOfferCooldownSeconds }),
      ...(account.dialPolicy === undefined ? {} : { dialPolicy: dialPolicyFromPb(account.dialPolicy) }),
    },
    agents: agents.map((x) => ({
      id: short(x.name),
      name: x.displayName,
      ...(x.phoneNumber !== undefined ? { phone: x.phoneNumber } : { sip: x.sipUri }),
      wrapUpSec: x.wrapUpSeconds,
    })),
    groups: groups.map((g) => ({
      id: short(g.name),
      name: g.displayName,
      strategy: strategyFromPb(g.strategy),
      members: g.members.map(short),
      ringTimeoutSec: g.ringTimeoutSeconds,
      maxRingAttempts: g.maxRingAttempts,
      ...(g.maxMissedOffers === undefined ? {} : { maxMissedOffers: g.maxMissedOffers }),
      ...(g.missedOfferCooldownSeconds === undefined
        ? {}
        : { missedOfferCooldownSec: g.missedOfferCooldownSeconds }),
      ...(g.queue
        ? {
            queue: {
              enabled: g.queue.enabled,
              holdMusic: audioPbYaml(g.queue.holdMusic),
              announcePosition: g.queue.announcePosition,
              announceEverySec: g.queue.announceEverySeconds,
              maxWaitSec: g.queue.maxWaitSeconds,
              maxSize: g.queue.maxSize,
              ...(g.queue.priority === 0 ? {} : { priority: g.queue.priority }),
              ...(g.queue.callback
                ? {
                    callback: {
                      offerAfterSec: g.queue.callback.offerAfterSeconds,
                      key: g.queue.callback.key,
                      maxAttempts: g.queue.callback.maxAttempts,
                      retryAfterSec: g.queue.callback.retryAfterSeconds,
                    },
                  }
                : {}),
            },
          }
        : {}),
    })),
    numbers: numbers.map((n) => ({ number: short(n.name), flow: short(n.flow) })),
    flows: flows.map((f) => {
      const flow = fromFlowSpec(short(f.name), f.spec ?? FlowSpec.fromPartial({}), "spec", []);
      if (!flow) throw new Error(`flow ${f.name} could not be read back`);
      return {
        id: flow.flowId,
        name: flow.name,
        start: flow.start,
        ...(flow.recordCalls === undefined ? {} : { recordCalls: flow.recordCalls }),
        applets: Object.fromEntries(
          Object.entries(flow.applets).map(([id, applet]) => [id, appletYaml(applet)]),
        ),
      };
    }),
  };
  return stringify(doc);
}
