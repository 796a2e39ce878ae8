// drachtio-server on private loopback ports: the SIP contact and the admin (application) port are chosen per
// run; the shipped config supplies the rest (console logging at info, cdrs off).
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { ManagedProcess, waitFor } from "./processes.js";
import { DRACHTIO_BIN } from "./tools.js";

export interface DrachtioServer {
  readonly host: string;
  /** Admin port applications connect to (drachtio-srf `srf.connect({host, port, secret})`). */
  readonly port: number;
  readonly secret: string;
  /** UDP+TCP SIP port; calls into the platform go to sip:<number>@127.0.0.1:<sipPort>. */
  readonly sipPort: number;
  readonly process: ManagedProcess;
  readonly logFile: string;
  stop(): Promise<void>;
}

function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function startDrachtio(options: {
  dir: string;
  secret?: string;
  /**
   * Outbound connections (drachtio-server connects to the app, `srf.listen`): drachtio asks this HTTP URL how
   * to route each new INVITE; it answers `{"action":"route","data":{"uri":"tcp://127.0.0.1:<app port>"}}`.
   * `routeToApp` below serves exactly that.
   */
  requestHandlerUrl?: string;
  logLevel?: "notice" | "error" | "warning" | "info" | "debug";
}): Promise<DrachtioServer> {
  const host = "127.0.0.1";
  const secret = options.secret ?? "cymru";
  const port = await freePort();
  const sipPort = await freePort();
  const config = join(options.dir, "drachtio.conf.xml");
  const outbound =
    options.requestHandlerUrl === undefined
      ? ""
      : `\n  <request-handlers>\n    <request-handler sip-method="INVITE" http-method="GET">${options.requestHandlerUrl}</request-handler>\n  </request-handlers>`;
  writeFileSync(
    config,
    `<drachtio>
  <admin port="${port}" secret="${secret}">${host}</admin>
  <sip>
    <contacts>
      <contact>sip:${host}:${sipPort};transport=udp,tcp</contact>
    </contacts>
  </sip>${outbound}
  <cdrs>false</cdrs>
  <logging>
    <console/>
    <sofia-loglevel>3</sofia-loglevel>
    <loglevel>${options.logLevel ?? "info"}</loglevel>
  </logging>
</drachtio>
`,
  );
  const logFile = join(options.dir, "drachtio.log");
  const proc = new ManagedProcess({
    name: "drachtio",
    command: DRACHTIO_BIN,
    args: ["-f", config, "--contact", `sip:${host}:${sipPort};transport=udp,tcp`, "--port", String(port)],
    logFile,
    cwd: options.dir,
  });
  await waitFor(`drachtio-server admin port ${port} (log ${logFile})`, async () => {
    if (!proc.running) throw new Error(`drachtio-server exited (${proc.exitCode}); see ${logFile}`);
    return (await tcpAccepts(host, port)) ? true : undefined;
  });
  return {
    host,
    port,
    secret,
    sipPort,
    process: proc,
    logFile,
    async stop() {
      await proc.stop("SIGTERM", 5_000);
    },
  };
}

/**
 * For outbound connections: an HTTP request handler telling drachtio-server to route every new INVITE to the
 * app listening (srf.listen) on appPort. Returns its URL and a close function.
 */
export async function routeToApp(appPort: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ action: "route", data: { uri: `tcp://127.0.0.1:${appPort}` } }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
