// Least-privilege NATS permissions, per service: each may publish only its own subjects and call only the
// JetStream API of its own consumers and the streams it checks; only the admin role may create, update,
// delete or purge streams (`switchyard setup`). Rendered into a nats-server configuration by
// `natsServerConfig` (`switchyard nats-config`), whose passwords are references to environment variables.
import { busNames } from "./naming.js";

export const SERVICE_ROLES = ["router", "agent-presence", "media-gateway", "relay", "admin-api"] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];
export type NatsRole = ServiceRole | "admin";

export interface NatsPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

export interface PermissionScope {
  /** The deployment's bus prefix. */
  readonly prefix: string;
  /** Gateway ids whose media gateways connect (each has a leg-command consumer and a state bucket). */
  readonly gatewayIds: readonly string[];
}

/** The NATS user of a role: also the private inbox prefix its connection uses (`_INBOX_<user>`). */
export const natsUser = (role: NatsRole): string => `sy_${role.replace(/-/g, "_")}`;
export const inboxPrefixOf = (user: string): string => `_INBOX_${user}`;

const LOGICAL_STREAMS = ["EVENTS", "DEADLETTER", "CALL_INPUTS", "LEG_COMMANDS", "TIMERS", "AGENT_INPUTS"];

/** The durable consumers each service reads, as [logical stream, durable]. */
function consumersOf(role: ServiceRole, gatewayIds: readonly string[]): Array<[string, string]> {
  switch (role) {
    case "router":
      return [
        ["CALL_INPUTS", "router"],
        ["TIMERS", "router_timers"],
        ["EVENTS", "router_agents"],
        ["EVENTS", "router_queues"],
      ];
    case "agent-presence":
      return [
        ["AGENT_INPUTS", "agent_presence"],
        ["EVENTS", "agent_presence_view"],
      ];
    case "media-gateway":
      return gatewayIds.map((id) => ["LEG_COMMANDS", `media-gateway-${id}`]);
    case "relay":
    case "admin-api":
      return [];
    default: {
      const unknown: never = role;
      throw new Error(`unknown role ${String(unknown)}`);
    }
  }
}

export function natsPermissions(role: NatsRole, scope: PermissionScope): NatsPermissions {
  const inbox = `${inboxPrefixOf(natsUser(role))}.>`;
  if (role === "admin") return { publish: [">"], subscribe: [">"] };
  const names = busNames(scope.prefix);
  const subject = (s: string) => names.subject(s);
  const stream = (s: string) => names.stream(s);
  const presence = `${scope.prefix}_presence`;
  const gatewayBuckets = scope.gatewayIds.map((id) => `${scope.prefix}_gw_${id}`);

  // Checking that the declared streams exist (never creating them) and the account's JetStream.
  const api = ["$JS.API.INFO", ...LOGICAL_STREAMS.map((s) => `$JS.API.STREAM.INFO.${stream(s)}`)];
  const consume = (logical: string, durable: string) => {
    const s = stream(logical);
    return [
      `$JS.API.CONSUMER.INFO.${s}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${s}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${s}.${durable}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${s}.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${s}.${durable}`,
      `$JS.ACK.${s}.${durable}.>`,
      // nats-server 2.9 keeps terminated messages of a work queue: the consumer removes them.
      ...(logical === "EVENTS" ? [] : [`$JS.API.STREAM.MSG.DELETE.${s}`]),
    ];
  };
  const readBucket = (bucket: string) => [
    `$JS.API.STREAM.INFO.KV_${bucket}`,
    `$JS.API.DIRECT.GET.KV_${bucket}`,
    `$JS.API.DIRECT.GET.KV_${bucket}.>`,
    `$JS.API.STREAM.MSG.GET.KV_${bucket}`,
    // watches and key listings are ordered (ephemeral) consumers
    `$JS.API.CONSUMER.CREATE.KV_${bucket}`,
    `$JS.API.CONSUMER.CREATE.KV_${bucket}.>`,
    `$JS.API.CONSUMER.DELETE.KV_${bucket}.>`,
    `$JS.FC.KV_${bucket}.>`,
  ];
  const writeBucket = (bucket: string) => [...readBucket(bucket), `$KV.${bucket}.>`];
  const deadLetters = subject("dlq.>");

  const publish: string[] = [...api];
  for (const [s, d] of consumersOf(role, scope.gatewayIds)) publish.push(...consume(s, d));
  switch (role) {
    case "router":
      // leg commands, durable timers, offers to calls, wrap-up ends to agents
      publish.push(subject("legcmd.>"), subject("timer.>"), subject("in.call.>"), subject("in.agent.>"));
      publish.push(deadLetters, ...readBucket(presence));
      break;
    case "agent-presence":
      publish.push(deadLetters, ...writeBucket(presence));
      break;
    case "media-gateway":
      publish.push(subject("in.call.>"), deadLetters, ...gatewayBuckets.flatMap(writeBucket));
      break;
    case "relay":
      publish.push(subject("evt.>"));
      break;
    case "admin-api":
      // hang-ups and transfers for calls, sign-in/out and breaks for agents
      publish.push(subject("in.call.>"), subject("in.agent.>"), ...readBucket(presence));
      break;
    default: {
      const unknown: never = role;
      throw new Error(`unknown role ${String(unknown)}`);
    }
  }
  return { publish, subscribe: [inbox] };
}

/**
 * The `accounts` block: one account with JetStream, one user per role; passwords are references to the
 * environment variables `passwordVariable(role)` names (default SWITCHYARD_NATS_<ROLE>_PASSWORD).
 */
export function natsAccountsConfig(
  scope: PermissionScope & { readonly passwordVariable?: (role: NatsRole) => string },
): string {
  const variable = scope.passwordVariable ?? defaultPasswordVariable;
  const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;
  const users = (["admin", ...SERVICE_ROLES] as const).map((role) => {
    const p = natsPermissions(role, scope);
    return [
      `      {`,
      `        user: ${JSON.stringify(natsUser(role))}`,
      `        password: $${variable(role)}`,
      `        permissions: {`,
      `          publish: { allow: ${list(p.publish)} }`,
      `          subscribe: { allow: ${list(p.subscribe)} }`,
      `        }`,
      `      }`,
    ].join("\n");
  });
  return [
    `# Switchyard, prefix "${scope.prefix}", gateways ${scope.gatewayIds.join(", ")}: one user per service, least privilege.`,
    `accounts {`,
    `  SWITCHYARD {`,
    `    jetstream: enabled`,
    `    users: [`,
    users.join(",\n"),
    `    ]`,
    `  }`,
    `}`,
    ``,
  ].join("\n");
}

/** A whole nats-server configuration (listen, JetStream, the accounts block), for one server. */
export function natsServerConfig(
  scope: PermissionScope & {
    /** `host:port` to listen on (default 127.0.0.1:4222). */
    readonly listen?: string;
    readonly storeDir?: string;
    /**
     * `sync_interval: always` (default true): acknowledged writes are on disk before the ack (the Jepsen
     * finding: the default interval loses acked writes). nats-server 2.10 and later; 2.9 rejects the field.
     */
    readonly syncAlways?: boolean;
    readonly passwordVariable?: (role: NatsRole) => string;
  },
): string {
  return [
    `# Generated by \`switchyard nats-config\`; passwords are read from the environment of nats-server.`,
    `# nats-server parses each variable's value: a password must start with a letter ("9e3…" is not a string).`,
    `listen: ${JSON.stringify(scope.listen ?? "127.0.0.1:4222")}`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(scope.storeDir ?? "/var/lib/nats")}`,
    ...(scope.syncAlways === false
      ? []
      : [
          `  # acknowledged writes reach the disk before the ack (the default interval can lose acked writes)`,
          `  sync_interval: always`,
        ]),
    `}`,
    natsAccountsConfig(scope),
  ].join("\n");
}

export const defaultPasswordVariable = (role: NatsRole): string =>
  `SWITCHYARD_NATS_${role.toUpperCase().replace(/-/g, "_")}_PASSWORD`;
