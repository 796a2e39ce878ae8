// The architecture as ARCHITECTURE.md states it, checked against the code's own imports and folders.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  cycles,
  packageOf,
  REPO_ROOT,
  resolveRelative,
  type SourceFile,
  sourceFiles,
  units,
} from "./imports.js";

const files = sourceFiles();
const doc = readFileSync(join(REPO_ROOT, "ARCHITECTURE.md"), "utf8");

/** Workspace package name → folder (from each folder's package.json). */
const folderOf = new Map<string, string>(
  units()
    .filter((u) => existsSync(join(REPO_ROOT, u, "package.json")))
    .map((u) => [JSON.parse(readFileSync(join(REPO_ROOT, u, "package.json"), "utf8")).name as string, u]),
);

function importers(predicate: (pkg: string, file: SourceFile) => boolean): string[] {
  return [
    ...new Set(
      files.flatMap((f) =>
        f.imports
          .map((i) => packageOf(i.specifier))
          .filter((p): p is string => p !== undefined && predicate(p, f))
          .map((p) => `${f.path} → ${p}`),
      ),
    ),
  ].sort();
}

describe("the architecture", () => {
  it("names only folders that exist", () => {
    const named = [...doc.matchAll(/`((?:packages|services)\/[a-z0-9-]+)(?:\/[^`]*)?`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(10);
    expect([...new Set(named)].filter((u) => !existsSync(join(REPO_ROOT, u)))).toEqual([]);
    // and every package and service is named
    expect(units().filter((u) => !named.includes(u))).toEqual([]);
  });

  it("keeps each transport inside its adapter", () => {
    const owner: Record<string, string> = {
      nats: "packages/bus",
      pg: "packages/event-store",
      kysely: "packages/event-store",
      "@electric-sql/pglite": "packages/event-store",
    };
    expect(importers((p, f) => owner[p] !== undefined && owner[p] !== f.unit)).toEqual([]);
  });

  it("keeps the domain pure and services apart", () => {
    const isService = (p: string) => folderOf.get(p)?.startsWith("services/") === true;
    // No service imports another; only the composition root (the CLI) imports services.
    expect(
      importers((p, f) => isService(p) && folderOf.get(p) !== f.unit && f.unit !== "packages/cli"),
    ).toEqual([]);
    // The routing domain imports no workspace package and nothing with IO.
    expect(
      importers(
        (p, f) =>
          f.unit === "packages/routing-domain" &&
          (folderOf.has(p) || /^(nats|pg|kysely|@opentelemetry)/.test(p)),
      ),
    ).toEqual([]);
    // src/testing is test support (given/when/then), not domain code: it may use node:util to print diffs.
    const domain = files.filter(
      (f) =>
        f.unit === "packages/routing-domain" && !f.path.startsWith("packages/routing-domain/src/testing/"),
    );
    expect(domain.length).toBeGreaterThan(10);
    expect(
      domain.flatMap((f) =>
        f.imports.filter((i) => i.specifier.startsWith("node:")).map((i) => `${f.path} → ${i.specifier}`),
      ),
    ).toEqual([]);
  });

  it("keeps test support out of the domain's public API (a ./testing subpath instead)", () => {
    const index = files.find((f) => f.path === "packages/routing-domain/src/index.ts")!;
    expect(index.imports.filter((i) => i.specifier.includes("testing"))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "packages/routing-domain/package.json"), "utf8"));
    expect(pkg.exports["./testing"]).toBe("./src/testing/index.ts");
  });

  it("keeps the contracts on nothing but the validation library (domain types only, as import type)", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "packages/contracts/package.json"), "utf8"));
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(["zod"]);
    const contracts = files.filter((f) => f.unit === "packages/contracts");
    expect(contracts.length).toBeGreaterThan(1);
    expect(
      contracts.flatMap((f) =>
        f.imports
          .filter((i) => !i.typeOnly && i.specifier !== "zod" && !i.specifier.startsWith("."))
          .map((i) => `${f.path} → ${i.specifier}`),
      ),
    ).toEqual([]);
  });

  it("has no cycle between workspace packages", () => {
    const graph = new Map<string, string[]>();
    for (const [name, folder] of folderOf) {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, folder, "package.json"), "utf8"));
      graph.set(
        name,
        Object.keys(pkg.dependencies ?? {}).filter((d) => folderOf.has(d)),
      );
    }
    expect(cycles(graph)).toEqual([]);
  });

  it("has no import cycle between source files, type imports included", () => {
    // A type-only circle costs nothing at run time but ties the layers together all the same (settings types
    // beside the behaviour that uses the call's builder), so `import type` counts as an edge here.
    const graph = new Map<string, string[]>();
    for (const f of files)
      graph.set(
        f.path,
        f.imports.filter((i) => i.specifier.startsWith(".")).map((i) => resolveRelative(f.path, i.specifier)),
      );
    // Applets reach the flow runner through the builder's FlowPort, not by import (the runner imports them).
    expect(cycles(graph)).toEqual([]);
  });

  it("sees imports the way the checks above assume (the reader itself is tested)", () => {
    const bus = files.find((f) => f.path === "packages/bus/src/bus.ts");
    expect(bus?.imports.some((i) => i.specifier === "nats" && !i.typeOnly)).toBe(true);
    const manual = files.find((f) => f.path === "packages/clock/src/manual-clock.ts");
    expect(manual?.imports.find((i) => i.specifier === "./clock.js")?.typeOnly).toBe(true);
    expect(manual?.imports.find((i) => i.specifier === "./sleepers.js")?.typeOnly).toBe(false);
    expect(
      cycles(
        new Map([
          ["a", ["b"]],
          ["b", ["a"]],
          ["c", ["a"]],
        ]),
      ),
    ).toEqual([["a", "b"]]);
  });
});
