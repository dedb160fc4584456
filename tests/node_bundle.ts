/**
 * Runs a TypeScript script's Node path under `node`: the script is bundled
 * for Node with `deno bundle` (so the checkout's modules, which it imports
 * by path, go with it) and run with the arguments given. For seam tests
 * whose Node branch Deno itself never takes.
 *
 * @module
 */
import { assert } from "./assert.ts";

const text = (x: Uint8Array) => new TextDecoder().decode(x);

/**
 * @param dir A scratch folder (the script and its bundle go there).
 * @param script The script's TypeScript source.
 * @param args Arguments for the script under node.
 * @returns What it printed on standard output.
 * @throws {AssertionError} when bundling or the script fails (with its stderr).
 */
export async function runUnderNode(dir: string, script: string, args: string[]): Promise<string> {
  await Deno.writeTextFile(`${dir}/script.ts`, script);
  const b = await new Deno.Command("deno", {
    args: ["bundle", "--quiet", "--platform", "node", "-o", `${dir}/script.mjs`, "script.ts"],
    cwd: dir,
    stderr: "piped",
  }).output();
  assert(b.success, text(b.stderr));
  const r = await new Deno.Command("node", {
    args: [`${dir}/script.mjs`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(r.success, text(r.stderr));
  return text(r.stdout);
}
