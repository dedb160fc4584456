import { assertEquals, assertMatch, assertThrows } from "../../tests/assert.ts";
import { createSocket } from "node:dgram";
import { runOurs } from "../../tests/client_run.ts";
import { UsageError } from "../cli/errors.ts";
import { knockLine, sendKnocks, sharedSequence, startLine, TEST_MODE_LINE } from "./knock.ts";

Deno.test("sharedSequence reads tcp/N, udp/N and icmp with the shared proto/port parser", () => {
  const text = "# knocks\n198.51.100.1: TCP/7000, udp/8000 ,icmp\nother: tcp/1,tcp/2\n";
  assertEquals(sharedSequence(text, "198.51.100.1", "f"), [
    { proto: "tcp", port: 7000 },
    { proto: "udp", port: 8000 },
    { proto: "icmp", port: 0 },
  ]);
  assertEquals(sharedSequence(text, "192.0.2.1", "f"), undefined);
  for (const bad of ["tcp/0", "tcp/65536", "tcp/123456", "sctp/1", "tcp/2x"]) {
    assertThrows(
      () => sharedSequence(`d: tcp/1,${bad}`, "d", "f"),
      UsageError,
      `f:1: "${bad}" is not tcp/N, udp/N or icmp`,
    );
  }
});

Deno.test("knock client lines are fwknop 1.x's, byte for byte", () => {
  assertEquals(
    startLine("knock"),
    "\n[+] Starting fwknop client (encrypted port knocking mode)...\n",
  );
  assertEquals(
    startLine("shared"),
    "\n[+] Starting fwknop client (shared sequence port knocking mode)...\n",
  );
  assertEquals(
    knockLine("192.0.2.1", { proto: "tcp", port: 61083 }, 0),
    "    -> 192.0.2.1 tcp/61083 (packet: 0)\n",
  );
  assertEquals(
    knockLine("192.0.2.1", { proto: "udp", port: 61097 }, 31),
    "    -> 192.0.2.1 udp/61097 (packet: 31)\n",
  );
  assertEquals(
    knockLine("192.0.2.1", { proto: "icmp", port: 0 }, 2),
    "    icmp echo request -> 192.0.2.1\n",
  );
  assertEquals(TEST_MODE_LINE, "[+] --Test-mode enabled, not sending sequence.\n");
});

Deno.test("sendKnocks prints the sending line, one line per knock before it leaves, and the finishing line", async () => {
  const sock = createSocket("udp4");
  const got: number[] = [];
  sock.on("message", (m) => got.push(m.length));
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  const port = sock.address().port;
  let out = "";
  try {
    const knocks = [{ proto: "udp" as const, port }, { proto: "udp" as const, port }];
    await sendKnocks("127.0.0.1", knocks, 0, { out: (t) => out += t });
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  } finally {
    sock.close();
  }
  assertEquals(got, [1, 1], "both knocks arrived");
  assertEquals(
    out,
    "[+] Sending port knocking sequence to knock server: 127.0.0.1\n" +
      `    -> 127.0.0.1 udp/${port} (packet: 0)\n` +
      `    -> 127.0.0.1 udp/${port} (packet: 1)\n` +
      "[+] Finished knock sequence.\n",
  );
});

Deno.test("fwknop-ts --Server-mode knock --Test-mode prints 1.x's lines and its test-mode line, no knock", async () => {
  const home = await Deno.makeTempDir({ prefix: "fwknop-ts-knock-" });
  try {
    await Deno.writeTextFile(`${home}/key`, "192.0.2.1: a-knock-key-1234\n");
    const r = await runOurs([
      "--Server-mode",
      "knock",
      "-D",
      "192.0.2.1",
      "-a",
      "192.0.2.7",
      "-A",
      "tcp/22",
      "--get-key",
      `${home}/key`,
      "--Test-mode",
      "--no-save-args",
      "--no-rc-file",
    ], home);
    assertEquals(r.code, 0, r.err);
    const lines = r.out.split("\n");
    assertEquals(lines[0], "");
    assertEquals(lines[1], "[+] Starting fwknop client (encrypted port knocking mode)...");
    assertMatch(lines[2]!, /^\[\+\] Clear-text sequence \(\d+ bytes\): (\d+ )+$/);
    assertMatch(lines[3]!, /^\[\+\] Cipher-text sequence \(32 bytes\): (\d+ ){32}$/);
    assertEquals(lines[4], "    Port offset: 61000");
    assertEquals(lines.slice(5), ["[+] --Test-mode enabled, not sending sequence.", ""]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
