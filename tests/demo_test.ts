/** The README's demo command works (its loopback variant; the namespace one is what e2e tests check). */
import { assert, assertMatch } from "./assert.ts";

Deno.test("demo: deno task demo --loopback shows an accepted packet", async () => {
  const r = await new Deno.Command("deno", {
    args: ["run", "-A", new URL("../scripts/demo.ts", import.meta.url).pathname, "--loopback"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  assert(r.success, out);
  assertMatch(out, /--test mode enabled, skipping firewall manipulation/);
  assertMatch(out, /==> Done: the daemon accepted the packet/);
});
