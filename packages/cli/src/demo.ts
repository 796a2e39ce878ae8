import { fileURLToPath } from "node:url";
import type { CliContext } from "./context.js";
import { runSimulation } from "./simulate.js";

/** The demo's contact centre and traffic, shipped in the repository's examples/. */
export const DEMO_CONTACT_CENTRE = fileURLToPath(
  new URL("../../../examples/demo-contact-centre.yaml", import.meta.url),
);
export const DEMO_TRAFFIC = fileURLToPath(new URL("../../../examples/traffic.yaml", import.meta.url));

/**
 * The README's first command: the whole platform on embedded defaults (PGlite, a private nats-server), the
 * demo contact centre (three departments, overflow, multi-level fallback) and simulated callers on a clock
 * on exact simulated time (a virtual clock; `--live` for a clock 60 times faster than real time), with live progress, a summary, and a check that the relay carried every
 * event onto JetStream once and in order.
 */
export function runDemo(ctx: CliContext): Promise<number> {
  return runSimulation(ctx, {
    configFile: DEMO_CONTACT_CENTRE,
    trafficFile: typeof ctx.flags.traffic === "string" ? ctx.flags.traffic : DEMO_TRAFFIC,
    runtimeFromConfigFile: false,
    title: "switchyard demo",
    defaultSpeed: 60,
    failWhenDistorted: false,
  });
}

/** `switchyard simulate --config FILE [--traffic FILE]`: the same run on any contact centre. */
export function runSimulate(ctx: CliContext): Promise<number> {
  const configFile = typeof ctx.flags.config === "string" ? ctx.flags.config : ctx.env.SWITCHYARD_CONFIG;
  if (configFile === undefined) throw new MissingConfigFileError();
  return runSimulation(ctx, {
    configFile,
    ...(typeof ctx.flags.traffic === "string" ? { trafficFile: ctx.flags.traffic } : {}),
    runtimeFromConfigFile: true,
    title: "switchyard simulate",
    defaultSpeed: 60,
    failWhenDistorted: true,
  });
}

/** `simulate` needs a contact centre to run. */
export class MissingConfigFileError extends Error {
  override readonly name = "MissingConfigFileError";
  constructor() {
    super("simulate needs a contact centre: --config FILE (see examples/demo-contact-centre.yaml)");
  }
}
