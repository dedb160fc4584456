/**
 * docs/library.md is real code: each of its `ts` blocks is type-checked and
 * run by `deno test --doc` (the encode/decode walk-through, the custom
 * firewall backend and the custom replay store).
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";

const ROOT = new URL("../", import.meta.url);
const DOC = new URL("docs/library.md", ROOT);

Deno.test("docs: library.md's code blocks type-check and run", async () => {
  const text = await Deno.readTextFile(DOC);
  const blocks = text.match(/^```ts$/gm)?.length ?? 0;
  assert(blocks >= 3, `docs/library.md has ${blocks} ts blocks, expected at least 3`);
  for (const needle of ["encodeSpa", "implements FirewallBackend", "implements ReplayCache"]) {
    assert(text.includes(needle), `docs/library.md lost its ${needle} example`);
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--doc", "--lock=deno.dev.lock", "docs/library.md"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, log);
  assertMatch(log, new RegExp(`ok \\| ${blocks} passed \\| 0 failed`), log);
});
