// The platform's NATS as deployed, for the in-process test platforms: a private nats-server configured with
// the shipped least-privilege permissions (`natsServerConfig`, what `switchyard nats-config` prints) for the
// test's prefix and gateways, the streams and buckets made by the admin role (`switchyard setup`), and one
// connection per service with that service's own credentials. A service that needs a right the template
// does not give fails here as it would in a deployment, and every refusal is in `violations()`.
//
// SWITCHYARD_TEST_NATS=shared runs the platforms on the shared NATS_URL with one connection instead (for a
// machine without nats-server; the suite then does not check the permissions).
import { randomBytes } from "node:crypto";
import {
  type Bus,
  connectBus,
  defaultPasswordVariable,
  type NatsRole,
  natsServerConfig,
  natsUser,
  SERVICE_ROLES,
  type ServiceRole,
  startNatsServer,
} from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { setUpBus } from "@switchyard/cli";

export interface PlatformBuses {
  /** The admin role: the test's own view (inputs it plays, streams and buckets it inspects). */
  readonly admin: Bus;
  /** The bus of one service, connected with its own credentials (one connection per role, made on first use). */
  busOf(role: ServiceRole): Promise<Bus>;
  /** The NATS URL a process of this role connects with (its credentials in it). */
  urlOf(role: NatsRole): string;
  /** Permission refusals the server logged so far (always empty on the shared NATS). */
  violations(): string[];
  /** True when the platform runs on the shipped permissions. */
  readonly secured: boolean;
  close(): Promise<void>;
}

export async function startPlatformBuses(options: {
  readonly prefix: string;
  readonly gatewayIds: readonly string[];
  /** The shared NATS (used when SWITCHYARD_TEST_NATS=shared). */
  readonly sharedUrl: string;
  readonly name: string;
}): Promise<PlatformBuses> {
  const { prefix, name } = options;
  if (process.env.SWITCHYARD_TEST_NATS === "shared") {
    const bus = await connectBus({ url: options.sharedUrl, prefix, name });
    await setUpBus(bus, options.gatewayIds);
    return {
      admin: bus,
      busOf: async () => bus,
      urlOf: () => options.sharedUrl,
      violations: () => [],
      secured: false,
      async close() {
        const jsm = await natsConnectionOf(bus).jetstreamManager();
        for await (const s of jsm.streams.list()) {
          if (s.config.name.startsWith(`KV_${prefix}_`))
            await jsm.streams.delete(s.config.name).catch(() => false);
        }
        await bus.deleteStreams();
        await bus.close();
      },
    };
  }
  const roles: NatsRole[] = ["admin", ...SERVICE_ROLES];
  // Starting with a letter: nats-server parses the variable's value, and "9e3…" or "123…" is not a string.
  const passwords = new Map(roles.map((r) => [r, `p${randomBytes(12).toString("hex")}`]));
  const server = await startNatsServer({
    config: (listen, storeDir) =>
      natsServerConfig({ prefix, gatewayIds: options.gatewayIds, listen, storeDir, syncAlways: false }),
    env: Object.fromEntries(roles.map((r) => [defaultPasswordVariable(r), passwords.get(r)!])),
  });
  const connect = (role: NatsRole) =>
    connectBus({ url: server.url(natsUser(role), passwords.get(role)), prefix, name: `${name}-${role}` });
  const admin = await connect("admin");
  await setUpBus(admin, options.gatewayIds);
  const services = new Map<ServiceRole, Promise<Bus>>();
  return {
    admin,
    busOf(role) {
      let bus = services.get(role);
      if (!bus) {
        bus = connect(role);
        services.set(role, bus);
      }
      return bus;
    },
    urlOf: (role) => server.url(natsUser(role), passwords.get(role)),
    violations: () => server.violations(),
    secured: true,
    async close() {
      const opened = await Promise.allSettled(services.values());
      for (const o of opened) if (o.status === "fulfilled") await o.value.close();
      await admin.close();
      await server.stop();
      const refused = server.violations();
      if (refused.length > 0) {
        throw new Error(
          `the platform needed rights the shipped NATS permissions do not give:\n${refused.slice(0, 20).join("\n")}`,
        );
      }
    },
  };
}
