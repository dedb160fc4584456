/**
 * The folder-level import graph of the product files (tests, scripts and
 * bench aside): an edge from folder A to folder B when a file in A imports a
 * file in B, statically, dynamically or for types only. tests/layers_test.ts
 * checks that it has no cycle, so each folder's dependencies point one way.
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { PRODUCT_ROOTS } from "./platform_uses.ts";

/** `from "x"`, `import("x")` and `import "x"` specifiers that start with a dot. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.[^"']+)["']/g;

function productFiles(root: string, rel: string, out: string[]): string[] {
  const path = `${root}/${rel}`;
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) productFiles(root, `${rel}/${name}`, out);
  } else if (rel.endsWith(".ts") && !rel.endsWith("_test.ts")) out.push(rel);
  return out;
}

function folderOf(rel: string): string {
  const i = rel.lastIndexOf("/");
  return i < 0 ? "." : rel.slice(0, i);
}

function resolve(from: string, spec: string): string {
  const parts = folderOf(from) === "." ? [] : folderOf(from).split("/");
  for (const p of spec.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

/**
 * Every folder edge with the imports behind it.
 *
 * @param root The repository's root directory.
 * @returns `from -> to` mapped to the `file -> file` imports that make it.
 * @example
 * ```ts
 * import { folderEdges } from "./folder_graph.ts";
 * const edges = folderEdges(new URL("..", import.meta.url).pathname);
 * console.assert([...edges.keys()].some((e) => e.startsWith("lib/server -> ")));
 * ```
 */
export function folderEdges(root: string): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  const files = PRODUCT_ROOTS.flatMap((r) => productFiles(root, r, []));
  for (const file of files) {
    for (const m of readFileSync(`${root}/${file}`, "utf8").matchAll(SPECIFIER)) {
      const target = resolve(file, m[1]!);
      const [a, b] = [folderOf(file), folderOf(target)];
      if (a === b) continue;
      const key = `${a} -> ${b}`;
      edges.set(key, [...(edges.get(key) ?? []), `${file} -> ${target}`]);
    }
  }
  return edges;
}

/**
 * The folder cycles: each strongly connected set of two or more folders.
 *
 * @param edges From {@link folderEdges}.
 * @returns Each cycle's folders, sorted.
 */
export function folderCycles(edges: Map<string, string[]>): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges.keys()) {
    const [a, b] = e.split(" -> ") as [string, string];
    next.set(a, [...(next.get(a) ?? []), b]);
  }
  const reach = (from: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [from];
    while (todo.length > 0) {
      for (const n of next.get(todo.pop()!) ?? []) if (!seen.has(n)) seen.add(n), todo.push(n);
    }
    return seen;
  };
  const reachable = new Map([...next.keys()].map((f) => [f, reach(f)]));
  const groups = new Map<string, string[]>();
  for (const [f, r] of reachable) {
    const group = [...r].filter((g) => g !== f && reachable.get(g)?.has(f)).concat(f).sort();
    if (group.length > 1) groups.set(group.join(" "), group);
  }
  return [...groups.values()];
}
