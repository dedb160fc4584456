import { assert, assertEquals } from "../../tests/assert.ts";
import { dumpLines, hexLines, packetDumper } from "./packet_dump.ts";
import type { SpaMessage } from "../spa/message.ts";

const enc = new TextEncoder();

Deno.test("hex dump: offsets, sixteen bytes a line, printable text only", () => {
  assertEquals(hexLines(enc.encode("0123456789abcdefXY"), "  "), [
    "  0000  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66  |0123456789abcdef|",
    "  0010  58 59  |XY|",
  ]);
  assertEquals(hexLines(new Uint8Array(0), ""), []);
  assertEquals(hexLines(Uint8Array.from([0x0a, 0x1b, 0x7f, 0xc3]), ""), [
    "0000  0a 1b 7f c3  |....|",
  ]);
});

Deno.test("hex dump: a hostile decrypted field cannot forge a line or drive a terminal", () => {
  const fields = {
    randomValue: "1234567890123456",
    username: "eve\nFORGED: Added access rule\x1b[2J",
    timestamp: 1800000000,
    version: "3.0.0",
    messageType: 1,
    message: "198.51.100.7,tcp/22",
    clientTimeout: 0,
    digestType: 3,
    serverAuth: "crypt-password",
  } as unknown as SpaMessage;
  const lines = dumpLines({ kind: "decrypted", src: "192.0.2.1", stanza: 2, fields });
  for (const l of lines) {
    assertEquals(l.level, "debug");
    // deno-lint-ignore no-control-regex
    assert(!/[\x00-\x1f\x7f]/.test(l.msg), JSON.stringify(l.msg));
  }
  const text = lines.map((l) => l.msg).join("\n");
  assert(text.includes("|eve.FORGED: Adde|"), text);
  assert(!text.includes("crypt-password"), "the server-auth field is shown");
  assert(text.includes("server auth (14 characters, not shown)"), text);
});

Deno.test("hex dump: the observer exists only from verbosity 2", () => {
  const printed: string[] = [];
  assertEquals(packetDumper(0, () => {}), undefined);
  assertEquals(packetDumper(1, () => {}), undefined);
  packetDumper(2, (ls) => printed.push(...ls.map((l) => l.msg)))!({
    kind: "payload",
    src: "192.0.2.1",
    data: "8abc",
  });
  assertEquals(printed, ["[192.0.2.1] SPA payload (4 bytes):", "    0000  38 61 62 63  |8abc|"]);
});
