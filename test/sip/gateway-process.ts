// A media gateway process on the drachtio driver, for the restart test: the test SIGKILLs it mid-call (a crash,
// not a graceful close) while drachtio-server and FreeSWITCH keep running, then starts another one.
// Usage: node --import tsx test/sip/gateway-process.ts '<json GatewayProcessConfig>'; prints "gateway ready".
import { connectBus } from "@switchyard/bus";
import { systemClock } from "@switchyard/clock";
import { DrachtioDriver, start as startGateway } from "@switchyard/media-gateway";

export interface GatewayProcessConfig {
  readonly natsUrl: string;
  readonly prefix: string;
  readonly gatewayId: string;
  readonly drachtio: { host: string; port: number; secret: string };
  readonly freeswitch: { address: string; port: number; secret: string };
  readonly mediaDir: string;
  /** FreeSWITCH endpoints created at once (unset: the driver's default). */
  readonly endpointsInFlight?: number;
  /** The driver's `mediaRelease` (unset: off). */
  readonly mediaRelease?: "off" | "afterBridge";
}

const config = JSON.parse(process.argv[2] ?? "{}") as GatewayProcessConfig;
const bus = await connectBus({ url: config.natsUrl, prefix: config.prefix, name: "sip-gateway-process" });
const driver = new DrachtioDriver({
  clock: systemClock,
  drachtio: { mode: "connect", ...config.drachtio },
  freeswitch: { ...config.freeswitch, listenAddress: "127.0.0.1" },
  sipDomain: "127.0.0.1",
  trunks: [{ name: "loopback", sources: ["127.0.0.0/8"] }],
  mediaDir: config.mediaDir,
  ...(config.endpointsInFlight === undefined ? {} : { endpointsInFlight: config.endpointsInFlight }),
  ...(config.mediaRelease === undefined ? {} : { mediaRelease: config.mediaRelease }),
  log: (level, message, fields) => console.error(JSON.stringify({ level, message, ...fields })),
});
await driver.start();
const gateway = await startGateway({
  bus,
  clock: systemClock,
  driver,
  gatewayId: config.gatewayId,
  log: (level, message, fields) => console.error(JSON.stringify({ level, message, ...fields })),
});
console.log(`gateway ready ${JSON.stringify(gateway.stats())}`);
process.on("SIGTERM", () => {
  void (async () => {
    await gateway[Symbol.asyncDispose]();
    console.error(JSON.stringify({ level: "info", message: "media release", ...driver.mediaReleaseStats() }));
    await driver.close();
    await bus.close();
    process.exit(0);
  })();
});
