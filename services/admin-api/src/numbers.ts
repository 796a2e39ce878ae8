// NumberService: DefineNumber / RemoveNumber config commands through the domain's config decider.
import { Number as NumberPb } from "@switchyard/admin-proto";
import type { NumberConfig } from "@switchyard/routing-domain";
import { type ConfigView, checkEtag, etagOf, removeResource, resourceKey } from "./config-store.js";
import type { ApiContext, Caller } from "./context.js";
import {
  type FieldViolation,
  InvalidRequestError,
  PreconditionError,
  ResourceExistsError,
  ResourceNotFoundError,
} from "./errors.js";
import { type Page, paginate, parseFilter } from "./listing.js";
import { idFrom, nameOf, parseName, requiredViolation, requireResource } from "./names.js";

const TYPE = "switchyard.admin.v1.Number";

export const toNumber = (view: ConfigView, n: NumberConfig): NumberPb =>
  NumberPb.fromPartial({
    name: nameOf("numbers", n.number),
    flow: nameOf("flows", n.flowId),
    etag: etagOf(view, resourceKey("number", n.number)),
  });

function configured(view: ConfigView, number: string): NumberConfig {
  const n = view.snapshot.numbers[number];
  if (!n) throw new ResourceNotFoundError(TYPE, nameOf("numbers", number));
  return n;
}

/** The flow id a number should run; the flow must be published. */
function flowOf(view: ConfigView, flow: string, field: string): string {
  const parsed = parseName("flows", flow, field);
  if ("violation" in parsed) throw new InvalidRequestError([parsed.violation]);
  if (!view.snapshot.flows[parsed.id])
    throw new PreconditionError([
      {
        type: "FLOW_PUBLISHED",
        subject: nameOf("flows", parsed.id),
        description: "the flow is not published",
      },
    ]);
  return parsed.id;
}

export async function getNumber(ctx: ApiContext, name: string): Promise<NumberPb> {
  const id = idFrom("numbers", name);
  const view = await ctx.config.current();
  return toNumber(view, configured(view, id));
}

export async function createNumber(
  ctx: ApiContext,
  caller: Caller,
  request: { number?: NumberPb },
): Promise<NumberPb> {
  const n = request.number;
  const violations: FieldViolation[] = [];
  if (!n) violations.push(requiredViolation("number"));
  else {
    const parsed = parseName("numbers", n.name, "number.name");
    if ("violation" in parsed) violations.push(parsed.violation);
    const flow = parseName("flows", n.flow, "number.flow");
    if ("violation" in flow) violations.push(flow.violation);
  }
  if (violations.length > 0 || !n) throw new InvalidRequestError(violations);
  const id = idFrom("numbers", n.name, "number.name");
  const { view } = await ctx.config.execute((v) => {
    if (v.snapshot.numbers[id]) throw new ResourceExistsError(TYPE, n.name);
    return [{ type: "DefineNumber", number: id, flowId: flowOf(v, n.flow, "number.flow") }];
  }, caller.actor);
  return toNumber(view, configured(view, id));
}

export async function updateNumber(
  ctx: ApiContext,
  caller: Caller,
  request: { number?: NumberPb; updateMask?: string[] },
): Promise<NumberPb> {
  const n = requireResource(request.number, "number");
  const id = idFrom("numbers", n.name, "number.name");
  const bad = (request.updateMask ?? []).filter((p) => p !== "flow" && p !== "*");
  if (bad.length > 0)
    throw new InvalidRequestError(
      bad.map((p) => ({
        field: "update_mask",
        description: `"${p.slice(0, 60)}" cannot be updated (updatable: flow)`,
        reason: "INVALID_FIELD_MASK",
      })),
    );
  const { view } = await ctx.config.execute((v) => {
    configured(v, id);
    checkEtag(v, resourceKey("number", id), n.name, n.etag);
    return [{ type: "DefineNumber", number: id, flowId: flowOf(v, n.flow, "number.flow") }];
  }, caller.actor);
  return toNumber(view, configured(view, id));
}

export async function deleteNumber(
  ctx: ApiContext,
  caller: Caller,
  request: { name: string; etag: string },
): Promise<void> {
  const id = idFrom("numbers", request.name);
  await removeResource(ctx.config, caller.actor, request, ["number", id], (v) => configured(v, id));
}

export async function listNumbers(
  ctx: ApiContext,
  request: { pageSize: number; pageToken: string; filter: string },
): Promise<Page<NumberPb>> {
  const terms = parseFilter(request.filter, ["flow"]);
  const view = await ctx.config.current();
  let numbers = Object.values(view.snapshot.numbers);
  for (const term of terms) {
    const parsed = parseName("flows", term.value, "filter");
    if ("violation" in parsed) throw new InvalidRequestError([parsed.violation]);
    numbers = numbers.filter((n) => n.flowId === parsed.id);
  }
  const page = paginate(numbers, (n) => n.number, request);
  return { items: page.items.map((n) => toNumber(view, n)), nextPageToken: page.nextPageToken };
}
