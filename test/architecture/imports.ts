// Reads the import graph of the workspace's source (not tests, benches or generated code) from the files'
// own import/export statements, for the architecture tests.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");

export interface SourceFile {
  /** Repository-relative path, e.g. packages/bus/src/bus.ts. */
  readonly path: string;
  /** The workspace folder it belongs to, e.g. packages/bus. */
  readonly unit: string;
  readonly imports: readonly Import[];
}

export interface Import {
  readonly specifier: string;
  /** `import type` / `export type`: erased at build time, no runtime edge. */
  readonly typeOnly: boolean;
}

const IMPORT_RE =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name === "generated") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith(".d.ts")) yield p;
  }
}

/** Every workspace package and service folder (packages/*, services/*). */
export function units(): string[] {
  return ["packages", "services"].flatMap((top) =>
    readdirSync(join(REPO_ROOT, top))
      .filter((n) => statSync(join(REPO_ROOT, top, n)).isDirectory())
      .map((n) => `${top}/${n}`),
  );
}

/** The source files of every unit's `src` folder with their imports. */
export function sourceFiles(): SourceFile[] {
  const out: SourceFile[] = [];
  for (const unit of units()) {
    const src = join(REPO_ROOT, unit, "src");
    try {
      statSync(src);
    } catch {
      continue;
    }
    for (const file of walk(src)) {
      const text = readFileSync(file, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      const imports: Import[] = [];
      for (const m of text.matchAll(IMPORT_RE)) {
        const specifier = m[3] ?? m[4];
        if (specifier) imports.push({ specifier, typeOnly: m[2] !== undefined });
      }
      out.push({ path: relative(REPO_ROOT, file), unit, imports });
    }
  }
  return out;
}

/** The package name a bare specifier names (`@scope/name/sub` → `@scope/name`, `pg/lib` → `pg`). */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Resolves a relative specifier of `from` to a repository-relative .ts path. */
export function resolveRelative(from: string, specifier: string): string {
  return relative(REPO_ROOT, resolve(REPO_ROOT, dirname(from), specifier)).replace(/\.js$/, ".ts");
}

/** Strongly connected components with more than one member (Tarjan): the import cycles. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}
