/**
 * Output into a pipe whose reader has gone (`fwknop-ts --help | head -1`):
 * the client and fwknopd-ts end quietly with status 141, as the stock tools
 * killed by SIGPIPE do, with nothing on stderr (no BrokenPipe stack). The
 * read end of a real pipe is closed before the program writes.
 */
import { assertEquals } from "./assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Runs `deno run` of `script` with `args`, closing its stdout's read end at once. */
async function closedEarly(script: string, args: string[]) {
  const child = new Deno.Command("deno", {
    args: ["run", "-A", "--lock=deno.dev.lock", `${ROOT}${script}`, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdout.cancel();
  const stderr = new TextDecoder().decode((await child.output()).stderr);
  return { code: (await child.status).code, stderr };
}

for (
  const [name, script, args] of [
    ["client --help", "client.ts", ["--help"]],
    ["client -T -v", "client.ts", [
      "-A",
      "tcp/22",
      "-a",
      "192.0.2.1",
      "-D",
      "127.0.0.1",
      "--key-rijndael",
      "epipe-test-key",
      "-T",
      "-v",
    ]],
    ["fwknopd-ts --help", "server.ts", ["--help"]],
  ] as const
) {
  Deno.test(`${name} into a closed pipe ends quietly with status 141`, async () => {
    const r = await closedEarly(script, [...args]);
    assertEquals([r.code, r.stderr], [141, ""]);
  });
}
