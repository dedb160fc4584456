/**
 * Finds the product files that touch the platform: the `Deno` global,
 * Node's `process` (global or `node:process`), `dlopen`, or Node's process
 * and module loaders (`node:child_process`, `node:module`), or the libc
 * handle (`libc()`, FFI). Comments and
 * string literals are ignored, so a message that names Deno is not a use.
 * docs/architecture.md lists the seam files; tests/seams_test.ts checks that
 * the two agree and that every seam lives in lib/sys.
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";

/** Top-level files and folders that ship (tests, scripts and bench do not). */
export const PRODUCT_ROOTS = ["mod.ts", "client.ts", "server.ts", "lib", "firewall", "knock"];

const USES: [string, RegExp][] = [
  ["Deno", /\bDeno\b/],
  ["process", /(?<![./\w])process\s*\.|["']node:process["']/],
  ["dlopen", /\bdlopen/],
  ["child_process", /["']node:child_process["']/],
  ["module", /["']node:module["']/],
  ["libc", /\blibc\(\)/],
];

/**
 * The text with comments blanked and string and template literals reduced to
 * their quotes, except module specifiers (`from "node:x"`, `import("node:x")`),
 * which stay so an import of a platform module is seen.
 *
 * @example
 * ```ts
 * import { codeOnly } from "./platform_uses.ts";
 * console.assert(codeOnly(`f("Deno"); // Deno`).trim() === `f("");`);
 * ```
 */
export function codeOnly(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const two = text.slice(i, i + 2);
    if (two === "//") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (two === "/*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '"' || c === "'" || c === "`") {
      const end = stringEnd(text, i);
      const body = text.slice(i, end);
      out += isSpecifier(out) ? body : c + c;
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the literal that opens at `start`. */
function stringEnd(text: string, start: number): number {
  const q = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== q) i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** Whether the code before a literal makes it a module specifier. */
function isSpecifier(before: string): boolean {
  return /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)$/.test(before);
}

/** The platform uses in one file's text, by kind. */
export function usesIn(text: string): string[] {
  const code = codeOnly(text);
  return USES.filter(([, re]) => re.test(code)).map(([name]) => name);
}

/** Every non-test product `.ts` file under `root`, as paths relative to it. */
export function productFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const full = `${root}/${rel}`;
    if (statSync(full).isDirectory()) {
      for (const e of readdirSync(full).sort()) walk(`${rel}/${e}`);
    } else if (rel.endsWith(".ts") && !rel.endsWith("_test.ts") && !rel.endsWith("_fake.ts")) {
      out.push(rel);
    }
  };
  for (const r of PRODUCT_ROOTS) walk(r);
  return out;
}

/** Product files that touch the platform, each with what it uses. */
export function platformFiles(root: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const f of productFiles(root)) {
    const uses = usesIn(readFileSync(`${root}/${f}`, "utf8"));
    if (uses.length > 0) found.set(f, uses);
  }
  return found;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  // deno-lint-ignore no-console
  for (const [f, uses] of platformFiles(root)) console.log(`${f}\t${uses.join(",")}`);
}
