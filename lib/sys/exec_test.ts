import { assert, assertEquals } from "../../tests/assert.ts";
import { haveCommand, skip } from "../../tests/env.ts";
import { runUnderNode } from "../../tests/node_bundle.ts";
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

/** The modules each module of `entry`'s graph imports statically (`deno info --json`). */
async function staticImports(entry: string): Promise<Map<string, string[]>> {
  const out = await new Deno.Command("deno", { args: ["info", "--json", entry], stdout: "piped" })
    .output();
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string; dependencies?: { specifier: string; isDynamic?: boolean }[] }[];
  };
  return new Map(
    graph.modules.map((m) => [
      m.specifier,
      (m.dependencies ?? []).filter((d) => d.isDynamic !== true).map((d) => d.specifier),
    ]),
  );
}

Deno.test("exec, line process: under Deno, node:child_process is never loaded (only on Node's path)", async () => {
  for (const f of ["exec.ts", "line_process.ts"]) {
    const graph = await staticImports(new URL(f, import.meta.url).href);
    const loaders = [...graph].filter(([, deps]) => deps.includes("node:child_process"));
    assertEquals(loaders.map(([m]) => m), [], `${f}'s static graph imports node:child_process`);
  }
});

/** The Node path of both runners, run by `node` on a bundle of a script that uses them. */
const NODE_SCRIPT = `
import { run, spawnLineSink } from ${JSON.stringify(new URL("./exec.ts", import.meta.url).href)};
import { spawnLines, spawnPiped } from ${
  JSON.stringify(new URL("./line_process.ts", import.meta.url).href)
};
// The piped child is unref'd (it must not keep the daemon alive): keep this script alive.
const keep = setInterval(() => {}, 1000);
const out = {};
out.echo = await run(["sh", "-c", 'printf "%s|" "$@"', "sh", "a b", ";"]);
out.cat = (await run(["cat"], { input: "rules\\n" })).stdout;
out.code = (await run(["sh", "-c", "exit 3"])).code;
out.missing = (await run(["/nonexistent/fwknop-ts-program"])).code;
const sink = await spawnLineSink(["sh", "-c", 'cat > "$0"', process.argv[2]]);
sink.write("one");
sink.close();
const lines = spawnLines(["printf", "one\\\\n%s\\\\ntwo\\\\n", "x".repeat(300)], 100);
out.lines = [];
for await (const l of lines.lines()) out.lines.push(l);
out.overlong = lines.overlong;
out.linesExit = await lines.exited;
const piped = spawnPiped(["cat"], 100);
const got = [];
const done = (async () => { for await (const l of piped.lines()) got.push(l); })();
out.written = piped.write("a\\nb\\n");
await new Promise((r) => setTimeout(r, 300));
piped.close();
await done;
out.piped = got;
out.pipedExit = await piped.exited;
out.notStarted = await spawnLines(["/nonexistent/journalctl"], 100).exited;
clearInterval(keep);
console.log(JSON.stringify(out));
`;

Deno.test({
  name: "exec, line process: the Node path runs, feeds and reads processes under node",
  async fn() {
    if (!(await haveCommand("node"))) return skip("the Node path: node is not installed");
    const dir = await Deno.makeTempDir({ prefix: "fwknop-exec-node-" });
    try {
      const out = await runUnderNode(dir, NODE_SCRIPT, [`${dir}/sink.txt`]);
      assertEquals(JSON.parse(out), {
        echo: { code: 0, stdout: "a b|;|", stderr: "" },
        cat: "rules\n",
        code: 3,
        missing: 127,
        lines: ["one", "two"],
        overlong: 1,
        linesExit: 0,
        written: true,
        piped: ["a", "b"],
        pipedExit: null,
        notStarted: 127,
      });
      const end = Date.now() + 3000;
      const sunk = () => Deno.readTextFile(`${dir}/sink.txt`).catch(() => "");
      while (Date.now() < end && (await sunk()) !== "one\n") {
        await new Promise((r) => setTimeout(r, 50));
      }
      assertEquals(await sunk(), "one\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
