import { assert, assertEquals } from "../../tests/assert.ts";
import { run, spawnLineSink } from "./exec.ts";

Deno.test("exec: argv without a shell, standard input, exit codes, a timeout, a missing program", async () => {
  const echo = await run(["sh", "-c", 'printf "%s|" "$@"', "sh", "a b", "$HOME", ";"]);
  assertEquals(echo, { code: 0, stdout: "a b|$HOME|;|", stderr: "" }, "words reach argv untouched");
  assertEquals((await run(["cat"], { input: "rules\n" })).stdout, "rules\n");
  assertEquals((await run(["sh", "-c", "echo no >&2; exit 3"])).code, 3);
  const slow = Date.now();
  const killed = await run(["sleep", "5"], { timeoutMs: 200 });
  assert(killed.code !== 0 && Date.now() - slow < 3000, JSON.stringify(killed));
  const missing = await run(["/nonexistent/fwknop-ts-program"]);
  assertEquals(missing.code, 127);
  let threw = false;
  try {
    await run([]);
  } catch {
    threw = true;
  }
  assert(threw, "an empty argv is refused");
});

Deno.test("exec: a line sink feeds a long-lived process; a missing program drops lines", async () => {
  const out = await Deno.makeTempFile();
  const sink = await spawnLineSink(["sh", "-c", `cat > ${out}`]);
  sink.write("one");
  sink.write("two");
  sink.close();
  const end = Date.now() + 3000;
  while (Date.now() < end && (await Deno.readTextFile(out)) !== "one\ntwo\n") {
    await new Promise((r) => setTimeout(r, 50));
  }
  assertEquals(await Deno.readTextFile(out), "one\ntwo\n");
  await Deno.remove(out);
  const none = await spawnLineSink(["/nonexistent/fwknop-ts-logger"]);
  none.write("dropped");
  none.close();
});
