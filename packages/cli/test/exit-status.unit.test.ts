import { ChaosOptionsError } from "@switchyard/chaos";
import { ConfigError } from "@switchyard/config";
import { ContactCentreConfigError } from "@switchyard/contact-centre";
import { EventStoreError } from "@switchyard/event-store";
import { TrafficConfigError, VariantError } from "@switchyard/simulation";
import { describe, expect, it } from "vitest";
import { exitStatusOf } from "../src/cli.js";
import { MissingConfigFileError } from "../src/demo.js";
import { UsageError } from "../src/usage-error.js";
import { WhatIfUsageError } from "../src/whatif.js";

// The CLI tells a usage error (exit 2) from a failure (exit 1) by the error's name, so that it loads no
// package to classify one: these are the real classes, so a renamed class fails here, not in a user's script.
describe("exit status of a failed command", () => {
  it.each([
    ["ConfigError", new ConfigError("bad flag")],
    ["MissingConfigFileError", new MissingConfigFileError()],
    ["ChaosOptionsError", new ChaosOptionsError("bad seed")],
    ["UsageError", new UsageError("apply needs -f FILE")],
    ["WhatIfUsageError", new WhatIfUsageError("whatif needs --traffic")],
    ["VariantError", new VariantError("no such group")],
    ["ContactCentreConfigError", new ContactCentreConfigError("cc.yaml", [])],
    ["TrafficConfigError", new TrafficConfigError("traffic.yaml", [])],
  ])("%s is a usage error: 2", (_, error) => {
    expect(exitStatusOf(error)).toBe(2);
  });

  it.each([
    ["a plain Error", new Error("boom")],
    ["an event store failure", new EventStoreError("append produced no result")],
    ["a string thrown", "boom"],
    ["an object named like a usage error but not an Error", { name: "UsageError", message: "x" }],
  ])("%s is a failure: 1", (_, error) => {
    expect(exitStatusOf(error)).toBe(1);
  });
});
