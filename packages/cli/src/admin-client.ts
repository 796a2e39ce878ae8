// The admin commands' connection to the admin API: address and token from flags, environment or the
// configuration file's `admin` section (`server`, `token`), generated clients, and promise-returning calls.
import { readFileSync } from "node:fs";
import {
  type CallOptions,
  ChannelCredentials,
  type Client,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { DEFAULT_ADMIN_LISTEN } from "@switchyard/admin-api";
import {
  AccountServiceClient,
  AgentServiceClient,
  AudioServiceClient,
  CallServiceClient,
  FlowServiceClient,
  GroupServiceClient,
  NumberServiceClient,
  QueueServiceClient,
} from "@switchyard/admin-proto";
import { systemClock } from "@switchyard/clock";
import { parse as parseYaml } from "yaml";
import type { CliContext } from "./context.js";
import { UsageError } from "./usage-error.js";

export interface AdminClients {
  readonly account: AccountServiceClient;
  readonly agents: AgentServiceClient;
  readonly audio: AudioServiceClient;
  readonly groups: GroupServiceClient;
  readonly flows: FlowServiceClient;
  readonly numbers: NumberServiceClient;
  readonly calls: CallServiceClient;
  readonly queues: QueueServiceClient;
  readonly metadata: Metadata;
  readonly server: string;
  close(): void;
}

/** An admin API call that failed: its status code and message, for one line on stderr. */
export class AdminCallError extends Error {
  override readonly name = "AdminCallError";
  constructor(
    readonly code: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function fileAdminSection(ctx: CliContext): Record<string, unknown> {
  const file = typeof ctx.flags.config === "string" ? ctx.flags.config : ctx.env.SWITCHYARD_CONFIG;
  if (file === undefined) return {};
  const doc = parseYaml(readFileSync(file, "utf8")) as { admin?: Record<string, unknown> } | null;
  return doc?.admin ?? {};
}

export function connectAdmin(ctx: CliContext): AdminClients {
  const section = fileAdminSection(ctx);
  const server =
    (typeof ctx.flags.server === "string" ? ctx.flags.server : undefined) ??
    ctx.env.SWITCHYARD_SERVER ??
    (typeof section.server === "string" ? section.server : undefined) ??
    DEFAULT_ADMIN_LISTEN;
  const token =
    (typeof ctx.flags.token === "string" ? ctx.flags.token : undefined) ??
    ctx.env.SWITCHYARD_TOKEN ??
    (typeof section.token === "string" ? section.token : undefined);
  // TLS when a CA is given (SWITCHYARD_TLS_CA, or admin.tls.ca in the file); plaintext otherwise. For mutual
  // TLS, the client's certificate and key (SWITCHYARD_TLS_CERT/_KEY, or admin.tls.clientCert/clientKey: the
  // section's cert/key are the server's own).
  const tls = section.tls as { ca?: string; clientCert?: string; clientKey?: string } | undefined;
  const ca = ctx.env.SWITCHYARD_TLS_CA ?? tls?.ca;
  const cert = ctx.env.SWITCHYARD_TLS_CERT ?? tls?.clientCert;
  const key = ctx.env.SWITCHYARD_TLS_KEY ?? tls?.clientKey;
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError("a client certificate needs both SWITCHYARD_TLS_CERT and SWITCHYARD_TLS_KEY");
  if (cert !== undefined && ca === undefined)
    throw new UsageError("a client certificate is for TLS: set SWITCHYARD_TLS_CA (the server's CA) too");
  const creds: ChannelCredentials =
    ca === undefined
      ? credentials.createInsecure()
      : cert !== undefined && key !== undefined
        ? ChannelCredentials.createSsl(readFileSync(ca), readFileSync(key), readFileSync(cert))
        : ChannelCredentials.createSsl(readFileSync(ca));
  const metadata = new Metadata();
  if (token !== undefined) metadata.set("authorization", `Bearer ${token}`);
  const clients = {
    account: new AccountServiceClient(server, creds),
    agents: new AgentServiceClient(server, creds),
    audio: new AudioServiceClient(server, creds),
    groups: new GroupServiceClient(server, creds),
    flows: new FlowServiceClient(server, creds),
    numbers: new NumberServiceClient(server, creds),
    calls: new CallServiceClient(server, creds),
    queues: new QueueServiceClient(server, creds),
  };
  return {
    ...clients,
    metadata,
    server,
    close: () => {
      for (const c of Object.values(clients)) (c as Client).close();
    },
  };
}

// The generated methods' last overload (request, metadata, options, callback), which inference picks.
type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** A failed call as an AdminCallError: its status and details, and a hint when the server is unreachable. */
export function adminCallError(admin: Pick<AdminClients, "server">, error: ServiceError): AdminCallError {
  const unreachable = error.code === 14 ? ` (is the admin API running at ${admin.server}?)` : "";
  return new AdminCallError(error.code, `${error.details || error.message}${unreachable}`, { cause: error });
}

/** One unary call with the token and a deadline; a failure is an AdminCallError naming the status. */
export function rpc<Req, Res>(
  admin: AdminClients,
  client: Client,
  method: Unary<Req, Res>,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(
      client,
      request,
      admin.metadata,
      { deadline: systemClock.now() + 30_000 },
      (error, response) => {
        if (!error) return resolve(response);
        reject(adminCallError(admin, error));
      },
    ),
  );
}

/** Every item of a collection, following page tokens. */
export async function listAll<K extends "agents" | "groups" | "flows" | "numbers">(
  a: AdminClients,
  kind: K,
  filter: string,
) {
  type Item = K extends "agents"
    ? import("@switchyard/admin-proto").Agent
    : K extends "groups"
      ? import("@switchyard/admin-proto").Group
      : K extends "flows"
        ? import("@switchyard/admin-proto").Flow
        : import("@switchyard/admin-proto").Number;
  const items: Item[] = [];
  let pageToken = "";
  do {
    const request = { pageSize: 1000, pageToken, filter };
    let page: { items: unknown[]; next: string };
    if (kind === "agents") {
      const r = await rpc(a, a.agents, a.agents.listAgents, request);
      page = { items: r.agents, next: r.nextPageToken };
    } else if (kind === "groups") {
      const r = await rpc(a, a.groups, a.groups.listGroups, request);
      page = { items: r.groups, next: r.nextPageToken };
    } else if (kind === "flows") {
      const r = await rpc(a, a.flows, a.flows.listFlows, { pageSize: 1000, pageToken });
      page = { items: r.flows, next: r.nextPageToken };
    } else {
      const r = await rpc(a, a.numbers, a.numbers.listNumbers, request);
      page = { items: r.numbers, next: r.nextPageToken };
    }
    items.push(...(page.items as Item[]));
    pageToken = page.next;
  } while (pageToken !== "");
  return items;
}
