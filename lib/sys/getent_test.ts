import { assertEquals } from "../../tests/assert.ts";
import { haveCommand, skip } from "../../tests/env.ts";
import { runScript } from "../../tests/deno_script.ts";

const GETENT = new URL("./getent.ts", import.meta.url).href;

/** getent's answers in a Deno run with only the given run permission. */
async function answers(allowRun: string): Promise<string> {
  const script = `import { getent, getentEntry } from ${JSON.stringify(GETENT)};
console.log(JSON.stringify([getent("passwd", "root"), getent("group", "no-such-group-fwknop"),
  getentEntry("passwd", "root")]));`;
  return await runScript(script, ["--allow-read", `--allow-run=${allowRun}`]);
}

Deno.test("getent: found, not found, the entry; with or without run access to coreutils timeout", async () => {
  if (!(await haveCommand("getent", ["passwd", "root"]))) return skip("getent is not installed");
  const want = JSON.stringify([true, false]);
  for (const allow of ["getent,timeout", "getent"]) {
    const got = JSON.parse(await answers(allow)) as [boolean, boolean, string];
    assertEquals(JSON.stringify(got.slice(0, 2)), want, allow);
    assertEquals(got[2].split(":").slice(0, 3), ["root", "x", "0"], allow);
  }
});

Deno.test("getent: without run access the answer says it could not run getent", async () => {
  const got = JSON.parse(await answers("nothing-at-all")) as unknown[];
  assertEquals((got[0] as { unknown: string }).unknown.includes('"getent"'), true, String(got[0]));
});
