// What-if variants: a recorded configuration changed by an overlay (a YAML file) or `--set path=value`
// overrides, checked by the config decider exactly as a change through the admin API would be.
import {
  GROUP_FIELDS,
  joinPath,
  type Problem,
  readFlowApplet,
  readFlowsSection,
} from "@switchyard/contact-centre";
import {
  type Applet,
  buildConfig,
  type ConfigCommand,
  type ConfigSnapshot,
  type Flow,
  type GroupConfig,
  kebabCase,
  STRATEGIES,
  STRATEGY_SPELLINGS,
  type Strategy,
} from "@switchyard/routing-domain";

/** A variant that cannot be applied (unknown group, bad strategy, a setting the config decider rejects). */
export class VariantError extends Error {
  override readonly name = "VariantError";
}

type Fields = Record<string, unknown>;
const isFields = (v: unknown): v is Fields => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Turns `groups.sales.strategy=longest-idle` into `{ groups: { sales: { strategy: "longest-idle" } } }`;
 * `parse` reads the value (YAML: numbers, lists `[a, b]`, booleans).
 */
export function overlayFromSets(sets: readonly string[], parse: (text: string) => unknown): Fields {
  const overlay: Fields = {};
  for (const set of sets) {
    const eq = set.indexOf("=");
    if (eq <= 0)
      throw new VariantError(`--set ${set}: expected path=value, e.g. groups.sales.strategy=longest-idle`);
    const path = set.slice(0, eq).split(".");
    let node = overlay;
    for (const key of path.slice(0, -1)) {
      const next = isFields(node[key]) ? (node[key] as Fields) : {};
      node[key] = next;
      node = next;
    }
    node[path.at(-1)!] = parse(set.slice(eq + 1));
  }
  return overlay;
}

/** `longest-idle`, `longestIdle`, `longest_idle`, `longest idle` → `longestIdle` (the domain registry's spellings). */
export function strategyOf(value: unknown): Strategy {
  const text = String(value);
  const camel = text.replace(/[-_ ]+([a-z])/g, (_m, c: string) => c.toUpperCase());
  const found = STRATEGY_SPELLINGS.get(text) ?? STRATEGY_SPELLINGS.get(camel);
  if (!found)
    throw new VariantError(
      `unknown strategy "${String(value)}" (one of ${STRATEGIES.map(kebabCase).join(", ")})`,
    );
  return found;
}

/** A variant's group fields: the file's (but its id), and agents added or removed. */
const GROUP_KEYS = new Set([...GROUP_FIELDS.filter((k) => k !== "id"), "addAgents", "removeAgents"]);

/**
 * The configuration with the overlay applied: `groups.<id>` fields replace the group's (`queue` merged
 * field by field; `addAgents: N` adds N new agents to the group; `removeAgents: N` takes its last N members
 * out); `agents.<id>` adds or changes an agent (`name`, `phone` or `sip`, `wrapUpSec`); `account` fields
 * replace the account's; `flows` changes call flows (see `flowCommands`); `numbers` sends a number's calls to
 * another flow (see `numberCommands`). Every change goes through the
 * config decider; what it rejects is a VariantError.
 */
export function applyVariant(config: ConfigSnapshot, overlay: unknown): ConfigSnapshot {
  if (!isFields(overlay))
    throw new VariantError("a variant must be a mapping (groups, agents, account, flows, numbers)");
  const unknownTop = Object.keys(overlay).filter(
    (k) => !["name", "groups", "agents", "account", "flows", "numbers"].includes(k),
  );
  if (unknownTop.length > 0)
    throw new VariantError(
      `unknown variant section(s) ${unknownTop.join(", ")} (groups, agents, account, flows, numbers)`,
    );
  const commands: ConfigCommand[] = [];
  let extra = 0;
  const agents = overlay.agents === undefined ? {} : overlay.agents;
  if (!isFields(agents)) throw new VariantError("agents: must be a mapping of agent id to fields");
  for (const [agentId, spec] of Object.entries(agents)) {
    if (!isFields(spec)) throw new VariantError(`agents.${agentId}: must be a mapping`);
    const current = config.agents[agentId];
    const contact =
      typeof spec.phone === "string"
        ? ({ kind: "phone", number: spec.phone } as const)
        : typeof spec.sip === "string"
          ? ({ kind: "sip", uri: spec.sip } as const)
          : (current?.contact ?? { kind: "phone" as const, number: extraNumber(++extra) });
    commands.push({
      type: "DefineAgent",
      agentId,
      name: typeof spec.name === "string" ? spec.name : (current?.name ?? agentId),
      contact,
      wrapUpSec: typeof spec.wrapUpSec === "number" ? spec.wrapUpSec : (current?.wrapUpSec ?? 0),
    });
  }
  const groups = overlay.groups === undefined ? {} : overlay.groups;
  if (!isFields(groups)) throw new VariantError("groups: must be a mapping of group id to fields");
  for (const [groupId, spec] of Object.entries(groups)) {
    const g = config.groups[groupId];
    if (!g)
      throw new VariantError(
        `groups.${groupId}: no such group (the recorded configuration has ${Object.keys(config.groups).join(", ")})`,
      );
    if (!isFields(spec)) throw new VariantError(`groups.${groupId}: must be a mapping`);
    const unknown = Object.keys(spec).filter((k) => !GROUP_KEYS.has(k));
    if (unknown.length > 0)
      throw new VariantError(`groups.${groupId}: unknown field(s) ${unknown.join(", ")}`);
    let members = Array.isArray(spec.members) ? spec.members.map(String) : [...g.members];
    const remove = Number(spec.removeAgents ?? 0);
    if (remove > 0) members = members.slice(0, Math.max(0, members.length - remove));
    const add = Number(spec.addAgents ?? 0);
    if (!Number.isInteger(add) || add < 0)
      throw new VariantError(`groups.${groupId}.addAgents: a whole number`);
    for (let k = 1; k <= add; k++) {
      const agentId = `${groupId}-extra-${k}`;
      commands.push({
        type: "DefineAgent",
        agentId,
        name: `${g.name} extra ${k}`,
        contact: { kind: "phone", number: extraNumber(++extra) },
        wrapUpSec: config.agents[g.members[0] ?? ""]?.wrapUpSec ?? 0,
      });
      members.push(agentId);
    }
    const next: GroupConfig = {
      ...g,
      ...(typeof spec.name === "string" ? { name: spec.name } : {}),
      ...(spec.strategy === undefined ? {} : { strategy: strategyOf(spec.strategy) }),
      ...(typeof spec.ringTimeoutSec === "number" ? { ringTimeoutSec: spec.ringTimeoutSec } : {}),
      ...(typeof spec.maxRingAttempts === "number" ? { maxRingAttempts: spec.maxRingAttempts } : {}),
      ...(typeof spec.maxMissedOffers === "number" ? { maxMissedOffers: spec.maxMissedOffers } : {}),
      ...(typeof spec.missedOfferCooldownSec === "number"
        ? { missedOfferCooldownSec: spec.missedOfferCooldownSec }
        : {}),
      queue: isFields(spec.queue)
        ? { ...g.queue, ...(spec.queue as Partial<GroupConfig["queue"]>) }
        : g.queue,
      members,
    };
    commands.push({ type: "DefineGroup", ...next });
  }
  if (overlay.account !== undefined) {
    if (!isFields(overlay.account)) throw new VariantError("account: must be a mapping");
    commands.push({ type: "ConfigureAccount", ...config.account, ...(overlay.account as object) });
  }
  // After agents and groups: a changed flow may ring a group the same variant adds to.
  if (overlay.flows !== undefined) commands.push(...flowCommands(config, overlay.flows));
  // Last: a number may be sent to a flow the same variant adds.
  if (overlay.numbers !== undefined) commands.push(...numberCommands(config, overlay.numbers));
  try {
    return buildConfig(commands, config);
  } catch (cause) {
    throw new VariantError(`the variant is not a valid configuration: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * `numbers.<number>: <flow id>`: the recorded day's calls to that number start in another flow (one the
 * recorded configuration has, or one the variant's `flows` list adds). Only numbers the day was called on:
 * a new number would get no recorded calls.
 */
function numberCommands(config: ConfigSnapshot, numbers: unknown): ConfigCommand[] {
  if (!isFields(numbers)) throw new VariantError("numbers: must be a mapping of phone number to flow id");
  return Object.entries(numbers).map(([number, flowId]): ConfigCommand => {
    const path = joinPath("numbers", number);
    if (!config.numbers[number])
      throw new VariantError(
        `${path}: no such number in the recorded configuration (it has ${Object.keys(config.numbers).join(", ")})`,
      );
    if (typeof flowId !== "string" || flowId === "")
      throw new VariantError(`${path}: must be the id of a flow`);
    return { type: "DefineNumber", number, flowId };
  });
}

const FLOW_KEYS = new Set(["name", "start", "recordCalls", "applets"]);

const problemText = (problems: readonly Problem[]): string =>
  problems.map((p) => `${p.path}: ${p.reason}`).join("; ");

/**
 * A variant's flow changes, in the contact-centre file's own words:
 * - a list: whole flows as the file's `flows` section writes them, each replacing the flow with its id (or
 *   added, for a number a later change routes to it);
 * - a mapping by flow id: `name`, `start`, `recordCalls` replaced, and `applets.<id>` either a whole applet
 *   (it has a `type`: replaces or adds that applet), some of an applet's fields (`ringTimeoutSec`,
 *   `branches` merged branch by branch, `target: { group: sales }`, ...; a field given empty is removed), or
 *   null (the applet is removed).
 * The flow is judged as a whole by the config decider's DefineFlow (branches lead somewhere, targets exist).
 */
function flowCommands(config: ConfigSnapshot, flows: unknown): ConfigCommand[] {
  if (Array.isArray(flows)) {
    const problems: Problem[] = [];
    const read = readFlowsSection(flows, problems);
    if (problems.length > 0) throw new VariantError(problemText(problems));
    return read.map(({ flow }): ConfigCommand => ({ type: "DefineFlow", flow }));
  }
  if (!isFields(flows))
    throw new VariantError("flows: must be a mapping of flow id to changes, or a list of whole flows");
  const commands: ConfigCommand[] = [];
  for (const [flowId, spec] of Object.entries(flows)) {
    const path = joinPath("flows", flowId);
    const current = config.flows[flowId];
    if (!current)
      throw new VariantError(
        `${path}: no such flow (the recorded configuration has ${Object.keys(config.flows).join(", ")}); ` +
          "a new flow is given whole, as an item of a flows list",
      );
    if (!isFields(spec)) throw new VariantError(`${path}: must be a mapping`);
    const unknown = Object.keys(spec).filter((k) => !FLOW_KEYS.has(k));
    if (unknown.length > 0)
      throw new VariantError(
        `${path}: unknown field(s) ${unknown.join(", ")} (${[...FLOW_KEYS].join(", ")})`,
      );
    const applets: Record<string, Applet> = { ...current.applets };
    if (spec.applets !== undefined && !isFields(spec.applets))
      throw new VariantError(`${joinPath(path, "applets")}: must be a mapping of applet id to changes`);
    for (const [appletId, change] of Object.entries(spec.applets ?? {})) {
      const at = joinPath(joinPath(path, "applets"), appletId);
      if (change === null) {
        delete applets[appletId];
        continue;
      }
      applets[appletId] = changedApplet(applets[appletId], change, at);
    }
    const text = (v: unknown, field: string): string => {
      if (typeof v === "string" && v !== "") return v;
      throw new VariantError(`${joinPath(path, field)}: must be a non-empty string`);
    };
    const flow: Flow = {
      ...current,
      ...(spec.name === undefined ? {} : { name: text(spec.name, "name") }),
      ...(spec.start === undefined ? {} : { start: text(spec.start, "start") }),
      ...(typeof spec.recordCalls === "boolean" ? { recordCalls: spec.recordCalls } : {}),
      applets,
    };
    commands.push({ type: "DefineFlow", flow });
  }
  return commands;
}

/** An applet replaced (a whole one, with `type`) or some of its fields changed, read as the file reads it. */
function changedApplet(was: Applet | undefined, change: unknown, path: string): Applet {
  if (!isFields(change)) throw new VariantError(`${path}: must be a mapping (or null to remove the applet)`);
  const problems: Problem[] = [];
  if (change.type !== undefined) {
    const whole = readFlowApplet(change, path, problems);
    if (problems.length > 0) throw new VariantError(problemText(problems));
    return whole;
  }
  if (!was) throw new VariantError(`${path}: no such applet in the flow (give its type to add one)`);
  // Read with the applet's own type, as the file would be; only the given fields' problems are the change's
  // (a field not given, such as a required target, is kept from the recorded applet).
  const given = Object.keys(change);
  const read = readFlowApplet({ ...change, type: was.kind }, path, problems) as unknown as Record<
    string,
    unknown
  >;
  const own = problems.filter((p) =>
    given.some((k) => {
      const field = joinPath(path, k);
      return p.path === field || p.path.startsWith(`${field}.`) || p.path.startsWith(`${field}[`);
    }),
  );
  if (own.length > 0) throw new VariantError(problemText(own));
  const next: Record<string, unknown> = { ...was };
  for (const key of given) {
    const value = read[key];
    if (value === undefined) delete next[key];
    else if (key === "branches" && isFields(value))
      next[key] = { ...(was as { branches?: object }).branches, ...value };
    else next[key] = value;
  }
  return next as unknown as Applet;
}

/** The commands that build `config` on an empty config stream (account, agents, groups, flows, numbers). */
export function commandsFor(config: ConfigSnapshot): ConfigCommand[] {
  return [
    { type: "ConfigureAccount", ...config.account },
    ...Object.values(config.agents).map((a): ConfigCommand => ({ type: "DefineAgent", ...a })),
    ...Object.values(config.groups).map((g): ConfigCommand => ({ type: "DefineGroup", ...g })),
    ...Object.values(config.flows).map((flow): ConfigCommand => ({ type: "DefineFlow", flow })),
    ...Object.values(config.numbers).map(
      (n): ConfigCommand => ({ type: "DefineNumber", number: n.number, flowId: n.flowId }),
    ),
  ];
}

/** Phone numbers of agents a variant adds (+1 555 0000 nnn: fictional, apart from simulated callers'). */
const extraNumber = (k: number): string => `+15550000${String(k).padStart(3, "0")}`;
