/**
 * Dependencies point one way between folders: the folder-level import graph
 * of the product files has no cycle (scripts/folder_graph.ts).
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { folderCycles, folderEdges } from "../scripts/folder_graph.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("layers: no folder-level import cycle among the product files", () => {
  const edges = folderEdges(ROOT);
  assert(edges.size > 30, `only ${edges.size} folder edges found: the scan is broken`);
  const cycles = folderCycles(edges).map((c) => {
    const inside = [...edges].filter(([e]) => {
      const [a, b] = e.split(" -> ");
      return c.includes(a!) && c.includes(b!);
    });
    return `${c.join(" <-> ")}: ${inside.map(([, files]) => files.join(", ")).join("; ")}`;
  });
  assertEquals(cycles, []);
});

Deno.test("layers: the cycle finder sees a cycle and only a cycle", () => {
  const edges = new Map([["a -> b", ["a/x.ts -> b/y.ts"]], ["b -> a", ["b/y.ts -> a/z.ts"]], [
    "b -> c",
    ["b/y.ts -> c/w.ts"],
  ]]);
  assertEquals(folderCycles(edges), [["a", "b"]]);
  edges.delete("b -> a");
  assertEquals(folderCycles(edges), []);
});
