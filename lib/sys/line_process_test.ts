import { assertEquals } from "../../tests/assert.ts";
import { spawnLines, spawnPiped } from "./line_process.ts";

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

Deno.test({
  name: "piped process: fed and read with run access to the program only (no environment)",
  permissions: { run: ["/usr/bin/cat"], env: false, read: false, write: false, net: false },
  async fn() {
    const p = spawnPiped(["/usr/bin/cat"], 100);
    const got: string[] = [];
    const done = (async () => {
      for await (const l of p.lines()) got.push(l);
    })();
    assertEquals(p.write("one\ntwo\n"), true);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(got, ["one", "two"]);
    p.close();
    await done;
    assertEquals(await p.exited, null);
    assertEquals(p.write("three\n"), false);
  },
});

Deno.test({
  name: "piped process: a program outside --allow-run ends with code 127 and says why",
  permissions: { run: ["/usr/bin/cat"], env: false },
  async fn() {
    const p = spawnPiped(["/usr/bin/stdbuf", "-oL", "/usr/bin/cat"], 100);
    for await (const _ of p.lines()) { /* none */ }
    assertEquals(await p.exited, 127);
    assertEquals(/run access/.test(p.stderr), true, p.stderr);
    assertEquals(p.write("x\n"), false);
  },
});
