import { assertEquals } from "../../tests/assert.ts";
import { spawnLines } from "./line_process.ts";

Deno.test("line process: lines in order, overlong ones dropped whole, exit code kept", async () => {
  // printf writes the lines; 300 x in one line is over the limit of 100.
  const p = spawnLines(
    ["/usr/bin/printf", "one\\n%s\\ntwo\\nthree", "x".repeat(300)],
    100,
  );
  const got: string[] = [];
  for await (const l of p.lines()) got.push(l);
  assertEquals(got, ["one", "two"]); // "three" has no newline: not a line yet
  assertEquals(p.overlong, 1);
  assertEquals(await p.exited, 0);
});

Deno.test("line process: a program that cannot start ends with code 127 and says why", async () => {
  const p = spawnLines(["/nonexistent/journalctl"], 100);
  const got: string[] = [];
  for await (const l of p.lines()) got.push(l);
  assertEquals(got, []);
  assertEquals(await p.exited, 127);
  assertEquals(p.stderr.length > 0, true);
});

Deno.test("line process: close() stops a process that runs on", async () => {
  const p = spawnLines(["/usr/bin/sleep", "30"], 100);
  p.close();
  p.close();
  for await (const _ of p.lines()) { /* none */ }
  assertEquals(await p.exited, null); // killed by SIGTERM
});
