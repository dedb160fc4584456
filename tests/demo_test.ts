/** The README's demo command works (its loopback variant; the namespace one is what e2e tests check). */
import { assert, assertEquals, assertMatch } from "./assert.ts";

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

Deno.test("demo: Ctrl-C in the middle removes both namespaces and exits 130", async () => {
  const { netnsUnavailable } = await import("./netns.ts");
  const why = await netnsUnavailable();
  if (why !== undefined) {
    // deno-lint-ignore no-console
    console.log(`skipped: ${why}`);
    return;
  }
  const child = new Deno.Command("deno", {
    args: ["run", "-A", new URL("../scripts/demo.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("Starting fwknopd-ts") && !out.includes("==> Client")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const names = async () => {
    const r = await new Deno.Command("ip", { args: ["netns", "list"] }).output();
    return new TextDecoder().decode(r.stdout).split("\n")
      .filter((l) => l.includes(`-${child.pid}-`));
  };
  assertEquals((await names()).length, 2, `the demo's namespaces exist mid-run:\n${out}`);
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const status = await child.status;
  assertEquals(status.code, 130, out);
  assertMatch(out, /SIGINT: cleaning up the namespaces/);
  assertEquals(await names(), []);
});
