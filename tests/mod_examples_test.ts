/**
 * Every export of mod.ts carries a runnable `@example` (`deno test --doc`
 * runs them in CI); read from `deno doc --json`, so a new export without one
 * fails here.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;

interface DocTag {
  kind: string;
}
interface DocSymbol {
  name: string;
  declarations: { jsDoc?: { tags?: DocTag[] } }[];
}

Deno.test("mod.ts: every export has an @example", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "--lock=deno.dev.lock", MOD],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  const symbols: DocSymbol[] = Object.values(doc.nodes as Record<string, { symbols: DocSymbol[] }>)
    .flatMap((n) => n.symbols);
  assert(symbols.length > 30, `only ${symbols.length} exports read: the scan is broken`);
  const without = symbols.filter((s) =>
    !s.declarations.some((d) => (d.jsDoc?.tags ?? []).some((t) => t.kind === "example"))
  ).map((s) => s.name);
  assertEquals(without, []);
});
