/**
 * fwknopd-ts's `main`: the user-facing errors (usage, configuration,
 * runtime) print one line; anything else is a bug and keeps its stack.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { main } from "../server.ts";

async function run(args: string[], out: (t: string) => void = () => {}) {
  let err = "";
  const code = await main(args, { out, err: (t) => err += t });
  return { code, err };
}

Deno.test("server: a usage error prints one line and exits 2", async () => {
  const r = await run(["--no-such-option"]);
  assertEquals(r.code, 2);
  assertMatch(r.err, /^[^\n]+\n$/);
});

Deno.test("server: a configuration error prints one line and exits 1", async () => {
  const r = await run(["-c", "/nonexistent/fwknopd.conf", "-a", "/nonexistent/access.conf", "-f"]);
  assertEquals(r.code, 1);
  assertMatch(r.err, /^Configuration error: \/nonexistent\/fwknopd\.conf: [^\n]+\n$/);
});

Deno.test("server: a bug keeps its stack", async () => {
  const r = await run(["--help"], () => {
    throw new TypeError("bug in a printer");
  });
  assertEquals(r.code, 1);
  assertMatch(r.err, /^TypeError: bug in a printer\n\s+at /);
  assert(r.err.split("\n").length > 2, "the stack has more than one line");
});
