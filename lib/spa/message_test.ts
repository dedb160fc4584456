import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { b64Encode } from "./base64.ts";
import { digestB64, DigestType } from "./digest.ts";
import {
  encodeMessage,
  MessageType,
  normalizeType,
  parseMessage,
  SpaFieldError,
  type SpaMessage,
} from "./message.ts";

const base: SpaMessage = {
  randomValue: "1234567890123456",
  username: "root",
  timestamp: 1795319286,
  version: "3.0.0",
  messageType: MessageType.ACCESS,
  message: "1.2.3.4,tcp/22",
  clientTimeout: 0,
  digestType: DigestType.SHA256,
};
const t = (s: string) => b64Encode(new TextEncoder().encode(s));
const withDigest = (encoded: string, type: DigestType = DigestType.SHA256) =>
  `${encoded}:${digestB64(type, encoded)}`;

Deno.test("normalizeType follows the client timeout", () => {
  assertEquals(normalizeType(1, 30), 3);
  assertEquals(normalizeType(2, 30), 4);
  assertEquals(normalizeType(5, 30), 6);
  assertEquals(normalizeType(3, 0), 1);
  assertEquals(normalizeType(4, 0), 2);
  assertEquals(normalizeType(6, 0), 5);
  assertEquals(normalizeType(0, 30), 0);
});

Deno.test("encodeMessage orders NAT, server auth and timeout as libfko does", () => {
  const m = encodeMessage({
    ...base,
    messageType: MessageType.NAT_ACCESS,
    natAccess: "10.0.0.9,22",
    serverAuth: "pw",
    clientTimeout: 45,
  });
  assertEquals(
    m.encoded,
    `1234567890123456:cm9vdA:1795319286:3.0.0:4:${t("1.2.3.4,tcp/22")}:${t("10.0.0.9,22")}:${
      t("pw")
    }:45`,
  );
  const back = parseMessage(m.plaintext);
  assert(back.ok);
  assertEquals(back.message.natAccess, "10.0.0.9,22");
  assertEquals(back.message.serverAuth, "pw");
  assertEquals(back.message.clientTimeout, 45);
  assertEquals(back.message.messageType, 4);
});

Deno.test("encodeMessage refuses what a server would refuse, naming the field", () => {
  assertThrows(
    () => encodeMessage({ ...base, username: "x".repeat(49) }),
    SpaFieldError,
    "Username",
  );
  assertThrows(
    () => encodeMessage({ ...base, message: "1.2.3.4,icmp/0" }),
    SpaFieldError,
    "Message String",
  );
  assertThrows(() => encodeMessage({ ...base, randomValue: "123" }), SpaFieldError, "Random Value");
  assertThrows(
    () => encodeMessage({ ...base, messageType: 2 }),
    SpaFieldError,
    "Nat Access: is required",
  );
  assertThrows(() => encodeMessage({ ...base, natAccess: "h,1" }), SpaFieldError, "not allowed");
  assertThrows(
    () => encodeMessage({ ...base, clientTimeout: 70000 }),
    SpaFieldError,
    "Client Timeout",
  );
  assertThrows(
    () => encodeMessage({ ...base, serverAuth: "x".repeat(64) }),
    SpaFieldError,
    "Server Auth",
  );
});

Deno.test("parseMessage falls back from SHA-256 to SHA3-256 for 43-character digests", () => {
  const encoded = `1234567890123456:cm9vdA:1795319286:3.0.0:1:${t("1.2.3.4,tcp/22")}`;
  const r = parseMessage(withDigest(encoded, DigestType.SHA3_256));
  assert(r.ok);
  assertEquals(r.message.digestType, DigestType.SHA3_256);
  const r2 = parseMessage(withDigest(encoded, DigestType.SHA3_512));
  assert(r2.ok);
  assertEquals(r2.message.digestType, DigestType.SHA3_512);
});

Deno.test("parseMessage names the failing field", () => {
  const head = "1234567890123456:cm9vdA:1795319286:3.0.0";
  const cases: [string, string][] = [
    [`${head}:1:${t("1.2.3.4,tcp/22")}:a:b`, "Encoded Data"],
    [`${head}:7:${t("1.2.3.4,tcp/22")}`, "Message Type"],
    [`${head}:1:${t("1.2.3.4,icmp/8")}`, "Message String"],
    [`${head}:3:${t("1.2.3.4,tcp/22")}:99999999`, "Client Timeout"],
    [`${head}:2:${t("1.2.3.4,tcp/22")}:${t("a b,22")}`, "Nat Access"],
    [`1234567890123456:${t("a:b")}:1795319286:3.0.0:1:${t("1.2.3.4,tcp/22")}`, "Username"],
    [`1234567890123456:${t("x".repeat(49))}:1795319286:3.0.0:1:${t("1.2.3.4,tcp/22")}`, "Username"],
    [`1234567890123456:cm9vdA:17953x9286:3.0.0:1:${t("1.2.3.4,tcp/22")}`, "Timestamp"],
    [`1234567890123456:cm9vdA:1795319286:123456789:1:${t("1.2.3.4,tcp/22")}`, "FKO Version"],
    [`${head}:1:${t("1.2.3.4,tcp/22")}:`, "Encoded Data"],
  ];
  for (const [encoded, field] of cases) {
    const r = parseMessage(withDigest(encoded));
    assert(!r.ok && r.reason === "bad-field", encoded);
    assertEquals(r.field, field, encoded);
  }
});

Deno.test("parseMessage reports a digest mismatch and bad digest lengths", () => {
  const encoded = `1234567890123456:cm9vdA:1795319286:3.0.0:1:${t("1.2.3.4,tcp/22")}`;
  const good = withDigest(encoded);
  const r = parseMessage(good.slice(0, -1) + (good.endsWith("A") ? "B" : "A"));
  assertEquals(r.ok ? "ok" : r.reason, "digest-mismatch");
  const r2 = parseMessage(`${encoded}:abcdef`);
  assert(!r2.ok && r2.reason === "bad-field" && r2.field === "SPA Data Digest");
});

Deno.test("parseMessage refuses a two-digit message type and a username not in canonical base64", async () => {
  const { digestB64, DigestType } = await import("./digest.ts");
  const plain = (encoded: string) => `${encoded}:${digestB64(DigestType.SHA256, encoded)}`;
  const msg = t("1.2.3.4,tcp/22");
  const ok = parseMessage(plain(`1234567890123456:cm9vdA:1795319286:3.0.0:1:${msg}`));
  assert(ok.ok);
  const two = parseMessage(plain(`1234567890123456:cm9vdA:1795319286:3.0.0:01:${msg}`));
  assert(!two.ok && two.reason === "bad-field" && two.field === "Message Type");
  // "cm9vdB" decodes to "root" too (its last character carries stray low bits).
  const odd = parseMessage(plain(`1234567890123456:cm9vdB:1795319286:3.0.0:1:${msg}`));
  assert(!odd.ok && odd.reason === "bad-field" && odd.field === "Username", JSON.stringify(odd));
  const padded = parseMessage(plain(`1234567890123456:cm9vdA==:1795319286:3.0.0:1:${msg}`));
  assert(!padded.ok && padded.reason === "bad-field" && padded.field === "Username");
});

Deno.test("parseMessage reads the request once: address, ports, NAT target, timeout", () => {
  const nat = parseMessage(
    encodeMessage({
      ...base,
      messageType: MessageType.NAT_ACCESS,
      message: "198.51.100.7,tcp/22,udp/53",
      natAccess: "192.0.2.9,2222",
      clientTimeout: 45,
    }).plaintext,
  );
  assert(nat.ok);
  const r = nat.message.request;
  assertEquals(r.allowText, "198.51.100.7");
  assertEquals(r.allow !== "source" && r.allow.text, "198.51.100.7");
  assertEquals(r.ports, [{ proto: "tcp", port: 22 }, { proto: "udp", port: 53 }]);
  assertEquals(r.nat, { host: "192.0.2.9", port: 2222 });
  assertEquals(r.clientTimeout, 45);
  assertEquals(r.command, undefined);
  // The text stays for log lines and CMD_CYCLE.
  assertEquals(nat.message.message, "198.51.100.7,tcp/22,udp/53");
  for (const ip of ["0.0.0.0", "::"]) {
    const src = parseMessage(encodeMessage({ ...base, message: `${ip},tcp/22` }).plaintext);
    assert(src.ok);
    assertEquals(src.message.request.allow, "source", ip);
  }
  const cmd = parseMessage(
    encodeMessage({ ...base, messageType: MessageType.COMMAND, message: "1.2.3.4,touch /tmp/x" })
      .plaintext,
  );
  assert(cmd.ok);
  assertEquals(cmd.message.request.command, "touch /tmp/x");
  assertEquals(cmd.message.request.ports, []);
});
