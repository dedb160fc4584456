/**
 * The platform in one folder: every product file that touches `Deno`,
 * Node's `process`, `dlopen`, `node:child_process`, `node:module` or the libc
 * handle lives in lib/sys/ and is listed in docs/architecture.md, and the
 * list names nothing else.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { codeOnly, platformFiles, usesIn } from "../scripts/platform_uses.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

function listedSeams(): string[] {
  const doc = Deno.readTextFileSync(`${ROOT}/docs/architecture.md`);
  const block = doc.split("<!-- seams -->")[1]?.split("<!-- /seams -->")[0] ?? "";
  return [...block.matchAll(/^- `([^`]+)`/gm)].map((m) => m[1]!).sort();
}

Deno.test("only lib/sys touches the platform", () => {
  const outside = [...platformFiles(ROOT)].filter(([f]) => !f.startsWith("lib/sys/"))
    .map(([f, uses]) => `${f}: ${uses.join(", ")}`);
  assertEquals(outside, []);
});

Deno.test("docs/architecture.md lists exactly the files that touch the platform", () => {
  const found = [...platformFiles(ROOT).keys()].sort();
  assert(found.length > 10, `only ${found.length} platform files found: the scan is broken`);
  assertEquals(listedSeams(), found);
});

Deno.test("the scan sees uses in code and not in comments or strings", () => {
  assertEquals(usesIn(`const D: any = (globalThis as any).Deno;`), ["Deno"]);
  assertEquals(usesIn(`Deno.dlopen("libc.so.6", {});`), ["Deno", "dlopen"]);
  assertEquals(usesIn(`import process from "node:process";`), ["process"]);
  assertEquals(usesIn(`process.kill(1, "SIGHUP");`), ["process"]);
  assertEquals(usesIn(`const { execFile } = await import("node:child_process");`), [
    "child_process",
  ]);
  assertEquals(usesIn(`import { createRequire } from 'node:module';`), ["module"]);
  assertEquals(usesIn(`libc().close(fd);`), ["libc"]);
  assertEquals(usesIn(`// Deno.exit() and process.exit()\n/* dlopen */ x();`), []);
  assertEquals(usesIn(`throw new Error("Deno needs --allow-run; process.kill failed");`), []);
  assertEquals(usesIn("const t = `dlopen ${1}`;"), []);
  assertEquals(usesIn(`import { pid } from "../sys/process.ts"; pid();`), []);
  assertEquals(codeOnly(`a("x\\"y"); b()`), `a(""); b()`);
});
