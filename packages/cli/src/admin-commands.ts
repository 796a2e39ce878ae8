// `switchyard agents|groups|flows|numbers|audio|calls|queues …`, `apply`, `export` and `admin-token`: the admin
// API from the command line. Tables for people, `--json` for scripts, `calls --watch` follows events live.
import { writeFileSync } from "node:fs";
import { newToken, ROLES } from "@switchyard/admin-api";
import {
  Agent_Status,
  Call_State,
  Connect_CallerId,
  ReplayCallResponse_Outcome,
  ReplayedDecision_Result,
  Strategy,
  Transfer,
  Transfer_Mode,
  Transfer_State,
  type WatchEventsResponse,
} from "@switchyard/admin-proto";
import { applyContactCentre, exportContactCentre } from "./admin-apply.js";
import { audioCommand } from "./admin-audio.js";
import { type AdminClients, connectAdmin, listAll, rpc } from "./admin-client.js";
import type { CliContext } from "./context.js";
import { UsageError } from "./usage-error.js";

const table = (ctx: CliContext, header: string[], rows: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  ctx.out(line(header));
  for (const r of rows) ctx.out(line(r));
};

const short = (name: string) => name.slice(name.indexOf("/") + 1);
const enumName = (value: number, names: Record<number, string>, prefix: string) =>
  (names[value] ?? String(value)).replace(prefix, "").toLowerCase();

function json(ctx: CliContext, value: unknown): void {
  ctx.out(JSON.stringify(value, null, 2));
}

export async function runAdminCommand(ctx: CliContext, args: readonly string[]): Promise<number> {
  if (ctx.command === "admin-token") return adminToken(ctx);
  const admin = connectAdmin(ctx);
  try {
    return await dispatch(ctx, admin, args);
  } finally {
    admin.close();
  }
}

function adminToken(ctx: CliContext): number {
  const name = typeof ctx.flags.name === "string" ? ctx.flags.name : undefined;
  const role = typeof ctx.flags.role === "string" ? ctx.flags.role : undefined;
  const agent = typeof ctx.flags.agent === "string" ? ctx.flags.agent : undefined;
  if (!name || !role || !(ROLES as readonly string[]).includes(role) || (role === "agent" && !agent)) {
    ctx.err(
      `switchyard: admin-token needs --name N --role ${ROLES.join("|")} (and --agent ID for role agent)`,
    );
    return 2;
  }
  const { token, sha256 } = newToken();
  ctx.out(`token (give it to ${name}; it is not stored anywhere): ${token}`);
  ctx.out("add under admin.tokens in the configuration file:");
  ctx.out(`  - { name: ${name}, role: ${role}, ${agent ? `agent: ${agent}, ` : ""}sha256: ${sha256} }`);
  return 0;
}

async function dispatch(ctx: CliContext, a: AdminClients, args: readonly string[]): Promise<number> {
  const [verb = "list", id, ...rest] = args;
  const filter = typeof ctx.flags.filter === "string" ? ctx.flags.filter : "";
  const asJson = ctx.flags.json === true;
  const usage = () => {
    ctx.err(`switchyard: unknown ${ctx.command} command "${verb}"; see switchyard help`);
    return 2;
  };
  const need = (what: string) => {
    if (!id) throw new UsageError(`${ctx.command} ${verb} needs ${what}`);
    return id;
  };
  switch (ctx.command) {
    case "agents": {
      const showAgents = (agents: Awaited<ReturnType<typeof listAll<"agents">>>) =>
        asJson
          ? json(ctx, agents)
          : table(
              ctx,
              ["ID", "NAME", "CONTACT", "STATUS", "GROUPS", "CALLS"],
              agents.map((x) => [
                short(x.name),
                x.displayName,
                x.phoneNumber ?? x.sipUri ?? "",
                enumName(x.status, Agent_Status, "STATUS_"),
                x.groups.map(short).join(","),
                String(x.callsHandled),
              ]),
            );
      if (verb === "list") {
        showAgents(await listAll(a, "agents", filter));
        return 0;
      }
      const name = `agents/${need("an agent id")}`;
      const actions = {
        get: () => rpc(a, a.agents, a.agents.getAgent, { name }),
        "sign-in": () => rpc(a, a.agents, a.agents.signInAgent, { name }),
        "sign-out": () => rpc(a, a.agents, a.agents.signOutAgent, { name }),
        break: () => rpc(a, a.agents, a.agents.startAgentBreak, { name, reason: rest.join(" ") }),
        "end-break": () => rpc(a, a.agents, a.agents.endAgentBreak, { name }),
      } as const;
      const action = actions[verb as keyof typeof actions];
      if (!action) return usage();
      showAgents([await action()]);
      return 0;
    }
    case "groups": {
      const groups =
        verb === "list"
          ? await listAll(a, "groups", filter)
          : verb === "get"
            ? [await rpc(a, a.groups, a.groups.getGroup, { name: `groups/${need("a group id")}` })]
            : undefined;
      if (!groups) return usage();
      if (asJson) json(ctx, groups);
      else
        table(
          ctx,
          ["ID", "NAME", "STRATEGY", "MEMBERS", "RING", "QUEUE"],
          groups.map((g) => [
            short(g.name),
            g.displayName,
            enumName(g.strategy, Strategy, "STRATEGY_"),
            g.members.map(short).join(","),
            `${g.ringTimeoutSeconds}s x${g.maxRingAttempts}`,
            g.queue?.enabled ? `max ${g.queue.maxSize}, ${g.queue.maxWaitSeconds}s` : "off",
          ]),
        );
      return 0;
    }
    case "flows": {
      if (verb === "list") {
        const flows = await listAll(a, "flows", "");
        if (asJson) json(ctx, flows);
        else
          table(
            ctx,
            ["ID", "NAME", "PUBLISHED", "APPLETS"],
            flows.map((f) => [
              short(f.name),
              f.spec?.displayName ?? "",
              f.publishedVersion ? f.publishedVersion.split("/").at(-1)! : "(not via the API)",
              String(Object.keys(f.spec?.applets ?? {}).length),
            ]),
          );
        return 0;
      }
      if (verb === "versions") {
        const r = await rpc(a, a.flows, a.flows.listFlowVersions, {
          parent: `flows/${need("a flow id")}`,
          pageSize: 1000,
          pageToken: "",
        });
        if (asJson) json(ctx, r.flowVersions);
        else
          table(
            ctx,
            ["VERSION", "CREATED", "BY", "PUBLISHED"],
            r.flowVersions.map((v) => [
              v.name,
              v.createTime?.toISOString() ?? "",
              v.creator,
              v.published ? "yes" : "",
            ]),
          );
        return 0;
      }
      return usage();
    }
    case "numbers": {
      if (verb !== "list") return usage();
      const numbers = await listAll(a, "numbers", filter);
      if (asJson) json(ctx, numbers);
      else
        table(
          ctx,
          ["NUMBER", "FLOW"],
          numbers.map((n) => [short(n.name), short(n.flow)]),
        );
      return 0;
    }
    case "queues": {
      const queues =
        verb === "list"
          ? (await rpc(a, a.queues, a.queues.listQueues, { pageSize: 1000, pageToken: "" })).queues
          : verb === "get"
            ? [await rpc(a, a.queues, a.queues.getQueue, { name: `queues/${need("a group id")}` })]
            : undefined;
      if (!queues) return usage();
      if (asJson) json(ctx, queues);
      else
        table(
          ctx,
          ["QUEUE", "WAITING", "LONGEST", "AVG ANSWERED", "CALLS (position: wait / estimate)"],
          queues.map((q) => [
            short(q.name),
            String(q.entries.length),
            `${q.longestWaitSeconds}s`,
            `${q.averageAnsweredWaitSeconds}s`,
            q.entries
              .map((e) => `${e.position}. ${short(e.call)}: ${e.waitSeconds}s / ${e.estimatedWaitSeconds}s`)
              .join("; "),
          ]),
        );
      return 0;
    }
    case "audio":
      return audioCommand(ctx, a, verb, id, asJson);
    case "calls":
      return callsCommand(ctx, a, verb, id, filter, asJson);
    case "apply": {
      const file = typeof ctx.flags.file === "string" ? ctx.flags.file : undefined;
      if (!file) throw new UsageError("apply needs -f FILE");
      return applyContactCentre(ctx, a, file, ctx.flags["dry-run"] === true);
    }
    case "export": {
      const yaml = await exportContactCentre(a);
      if (typeof ctx.flags.file === "string") {
        writeFileSync(ctx.flags.file, yaml);
        ctx.out(`switchyard: wrote ${ctx.flags.file}`);
      } else ctx.out(yaml.trimEnd());
      return 0;
    }
    default:
      return usage();
  }
}

async function callsCommand(
  ctx: CliContext,
  a: AdminClients,
  verb: string,
  id: string | undefined,
  filter: string,
  asJson: boolean,
): Promise<number> {
  if (ctx.flags.watch === true || verb === "watch") return watchCalls(ctx, a, asJson);
  const need = () => {
    if (!id) throw new UsageError(`calls ${verb} needs a call id`);
    return `calls/${id}`;
  };
  switch (verb) {
    case "list": {
      const r = await rpc(a, a.calls, a.calls.listCalls, { pageSize: 1000, pageToken: "", filter });
      if (asJson) json(ctx, r.calls);
      else
        table(
          ctx,
          ["CALL", "STATE", "FROM", "TO", "STARTED", "ENDED", "REASON"],
          r.calls.map((c) => [
            short(c.name),
            enumName(c.state, Call_State, "STATE_"),
            c.from,
            c.to,
            c.startTime?.toISOString() ?? "",
            c.endTime?.toISOString() ?? "",
            c.endReason,
          ]),
        );
      return 0;
    }
    case "get": {
      const c = await rpc(a, a.calls, a.calls.getCall, { name: need() });
      if (asJson) json(ctx, c);
      else {
        ctx.out(
          `${c.name}  ${enumName(c.state, Call_State, "STATE_")}  ${c.from} → ${c.to}  ${c.currentAgent}`,
        );
        for (const d of c.decisions) {
          ctx.out(
            `  decision (${d.purpose}${d.strategy ? `, ${d.strategy}` : ""}, config v${d.configVersion}): ${d.reason}`,
          );
          for (const k of d.candidates)
            ctx.out(
              `    ${k.chosen ? "*" : " "} ${short(k.agent)} ${k.status} idle ${k.idleSeconds}s calls ${k.callsInPeriod}: ${k.reason}`,
            );
          if (d.candidatesOmitted > 0) ctx.out(`    … and ${d.candidatesOmitted} more members, not listed`);
        }
        for (const e of c.events) ctx.out(`  ${e.streamVersion}. ${e.type} ${JSON.stringify(e.data)}`);
      }
      return 0;
    }
    case "replay": {
      // Exit status 0 only when every decision re-decided to what was recorded (scripts can check calls).
      const r = await rpc(a, a.calls, a.calls.replayCall, { name: need() });
      if (asJson) json(ctx, r);
      else {
        const verdict = enumName(r.outcome, ReplayCallResponse_Outcome, "OUTCOME_");
        ctx.out(`calls/${id}: ${verdict} (${r.decisions.length} decisions)`);
        table(
          ctx,
          ["#", "INPUT", "EVENTS", "RESULT", "NOTE"],
          r.decisions.map((d, i) => [
            String(i + 1),
            d.inputType || "?",
            `v${d.firstStreamVersion}-${d.firstStreamVersion + d.eventCount - 1}`,
            enumName(d.result, ReplayedDecision_Result, "RESULT_"),
            d.note,
          ]),
        );
        const m = r.firstMismatch;
        if (m) {
          ctx.out(`first difference, decision ${m.decision + 1}: ${m.description}`);
          if (m.recorded)
            ctx.out(
              `  recorded v${m.recorded.streamVersion} ${m.recorded.type} ${JSON.stringify(m.recorded.data)}`,
            );
          if (m.replayedType) ctx.out(`  replayed ${m.replayedType} ${JSON.stringify(m.replayedData)}`);
        }
      }
      return r.outcome === ReplayCallResponse_Outcome.OUTCOME_MATCH ? 0 : 1;
    }
    case "hangup": {
      const c = await rpc(a, a.calls, a.calls.hangUpCall, { name: need(), reason: "" });
      ctx.out(`${c.name}: ${enumName(c.state, Call_State, "STATE_")}`);
      return 0;
    }
    case "transfer": {
      const flag = (name: string) =>
        typeof ctx.flags[name] === "string" ? (ctx.flags[name] as string) : undefined;
      const [agent, group, number] = [flag("agent"), flag("group"), flag("number")];
      if ([agent, group, number].filter((x) => x !== undefined).length !== 1)
        throw new UsageError("calls transfer needs one target: --agent ID, --group ID or --number E164");
      const shown = flag("caller-id");
      const callerId =
        shown === undefined
          ? {}
          : shown === "business"
            ? { callerId: Connect_CallerId.CALLER_ID_BUSINESS }
            : shown === "caller"
              ? { callerId: Connect_CallerId.CALLER_ID_CALLER }
              : { callerId: Connect_CallerId.CALLER_ID_CUSTOM, customCallerId: shown };
      const t = await rpc(a, a.calls, a.calls.startTransfer, {
        parent: need(),
        transfer: Transfer.fromPartial({
          mode: ctx.flags.blind === true ? Transfer_Mode.MODE_BLIND : Transfer_Mode.MODE_WARM,
          ...(agent ? { agent: `agents/${agent}` } : group ? { group: `groups/${group}` } : { number }),
          ...callerId,
        }),
        transferId: "",
      });
      ctx.out(`${t.name}: ${enumName(t.state, Transfer_State, "STATE_")}`);
      return 0;
    }
    case "complete":
    case "cancel": {
      if (!id) throw new UsageError(`calls ${verb} needs a transfer name (calls/C/transfers/T)`);
      const method = verb === "complete" ? a.calls.completeTransfer : a.calls.cancelTransfer;
      const t = await rpc(a, a.calls, method, { name: id });
      ctx.out(`${t.name}: ${enumName(t.state, Transfer_State, "STATE_")}`);
      return 0;
    }
    default:
      ctx.err(`switchyard: unknown calls command "${verb}"; see switchyard help`);
      return 2;
  }
}

function watchCalls(ctx: CliContext, a: AdminClients, asJson: boolean): Promise<number> {
  const stream = a.calls.watchEvents(
    { resumeToken: "", fromStart: false, categories: [], call: "" },
    a.metadata,
  );
  ctx.signal.addEventListener("abort", () => stream.cancel(), { once: true });
  return new Promise((resolve) => {
    stream.on("data", (r: WatchEventsResponse) => {
      const e = r.event!;
      if (asJson) ctx.out(JSON.stringify(r));
      else
        ctx.out(
          `${e.recordTime?.toISOString() ?? ""}  ${e.stream.padEnd(24)} ${e.type} ${JSON.stringify(e.data)}`,
        );
    });
    stream.on("error", (error: Error & { code?: number }) => {
      if (error.code === 1) return resolve(0); // cancelled by Ctrl-C
      ctx.err(`switchyard: watch failed: ${error.message}`);
      resolve(1);
    });
    stream.on("end", () => resolve(0));
  });
}
