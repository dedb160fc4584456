/**
 * `fwknop-ts --keep-open` as a process, without namespaces: the first
 * packet goes to a UDP port on loopback, the command is `sleep`; SIGINT
 * sent to the client alone leaves the command running (Ctrl-C reaches the
 * command through the terminal, not through the client), SIGTERM is passed
 * on and the client exits with the command's status (143).
 */
import { assert, assertEquals } from "./assert.ts";
import { createSocket } from "node:dgram";

const CLIENT = new URL("../client.ts", import.meta.url).pathname;

Deno.test("keep-open: SIGINT to the client alone is ignored; SIGTERM reaches the command; its status is the client's", async () => {
  const sock = createSocket("udp4");
  const got: number[] = [];
  sock.on("message", (m) => got.push(m.length));
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  const port = sock.address().port;
  const marker = `keep-open-${Deno.pid}-${Date.now()}`;
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "-A",
      CLIENT,
      "-A",
      "tcp/22",
      "-a",
      "192.0.2.1",
      "-D",
      "127.0.0.1",
      "-p",
      String(port),
      "--key-rijndael",
      "keep-key",
      "--key-hmac",
      "keep-hmac",
      "--no-save-args",
      "--no-rc-file",
      "--keep-open",
      "--",
      "bash",
      "-c",
      `exec -a ${marker} sleep 60`,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  try {
    const running = async () =>
      (await new Deno.Command("pgrep", { args: ["-f", `^${marker}`], stdout: "null" }).output())
        .success;
    for (let i = 0; i < 100 && !(await running()); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert(await running(), "the command did not start");
    assertEquals(got.length, 1); // the first packet, before the command
    child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 500));
    assert(await running(), "SIGINT to the client ended the command");
    child.kill("SIGTERM");
    const st = await child.output();
    assertEquals(st.code, 143, new TextDecoder().decode(st.stderr));
    assert(!(await running()), "the command outlived the client");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // ended
    }
    // A command left behind by a failure: found by its unique name, ended by its pid.
    const left = await new Deno.Command("pgrep", { args: ["-f", `^${marker}`] }).output();
    for (const pid of new TextDecoder().decode(left.stdout).split("\n").filter(Boolean)) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch {
        // gone
      }
    }
    sock.close();
  }
});
