import { assert, assertEquals, assertMatch, assertThrows } from "../tests/assert.ts";
import { b64Decode } from "../lib/spa/base64.ts";
import { DigestType } from "../lib/spa/digest.ts";
import { MessageType } from "../lib/spa/message.ts";
import { decodeSpa } from "../lib/spa/packet.ts";
import { httpSpaRequest } from "../lib/net/http.ts";
import { buildWebSpa, mixedContentProblem, NO_USER } from "./request.ts";
import { DEFAULTS, type WebSettings } from "./settings.ts";

const KEY = "wzNP62oPPgEc+kXDPQLHPOayQBuNbYUTPP+QrBL6TDk=";
const HMAC =
  "Zig9ZYcSvJ9EOxf3X6vmFrXj7tWNUSF1DmqjCmPOU9VzYGo6qPEPpJOS+QK3N4zWpyNF8L9NWVxVxoJuwdvzLQ==";
const NOW = 1_795_320_832;

function settings(over: Partial<WebSettings> = {}): WebSettings {
  return {
    ...DEFAULTS,
    SPA_SERVER: "198.51.100.7",
    KEY_BASE64: KEY,
    HMAC_KEY_BASE64: HMAC,
    ...over,
  };
}

Deno.test("web request: an access packet for the source, in fwknop's -P http URL form", () => {
  const spa = buildWebSpa(settings(), NOW);
  assertMatch(spa.url, /^http:\/\/198\.51\.100\.7:62201\/[A-Za-z0-9_-]+$/);
  const path = httpSpaRequest(spa.wire, "198.51.100.7", 62201, "x").request.split(" ")[1];
  assertEquals(new URL(spa.url).pathname, path);
  assertEquals(spa.grantSeconds, 30);
  const r = decodeSpa(spa.wire, {
    key: b64Decode(KEY)!,
    hmacKey: b64Decode(HMAC)!,
    hmacType: DigestType.SHA256,
  });
  assert(r.ok, JSON.stringify(r));
  assertEquals(r.fields.message, "0.0.0.0,tcp/22");
  assertEquals(r.fields.messageType, MessageType.ACCESS);
  assertEquals(r.fields.username, NO_USER);
  assertEquals(r.fields.timestamp, NOW);
  assertEquals(r.fields.digestType, DigestType.SHA256);
});

Deno.test("web request: digests, client timeout, allow IP, user and https follow the settings", () => {
  const spa = buildWebSpa(
    settings({
      SPA_SERVER_PROTO: "https",
      SPA_SERVER_PORT: "443",
      ACCESS: "tcp/22, udp/53",
      ALLOW_IP: "203.0.113.9",
      HMAC_DIGEST_TYPE: "sha3_512",
      DIGEST_TYPE: "md5",
      FW_TIMEOUT: "45",
      SPOOF_USER: "alice",
    }),
    NOW,
  );
  assertMatch(spa.url, /^https:\/\/198\.51\.100\.7:443\//);
  assertEquals(spa.grantSeconds, 45);
  const r = decodeSpa(spa.wire, {
    key: b64Decode(KEY)!,
    hmacKey: b64Decode(HMAC)!,
    hmacType: DigestType.SHA3_512,
  });
  assert(r.ok, JSON.stringify(r));
  assertEquals(r.fields.message, "203.0.113.9,tcp/22,udp/53");
  assertEquals(r.fields.messageType, MessageType.CLIENT_TIMEOUT_ACCESS);
  assertEquals(r.fields.clientTimeout, 45);
  assertEquals(r.fields.username, "alice");
  assertEquals(r.fields.digestType, DigestType.MD5);
});

Deno.test("web request: passphrase keys (KEY, HMAC_KEY) when no base64 key is given", () => {
  const spa = buildWebSpa(
    settings({ KEY_BASE64: "", HMAC_KEY_BASE64: "", KEY: "fwknoptest", HMAC_KEY: "hmactest" }),
    NOW,
  );
  const enc = new TextEncoder();
  const r = decodeSpa(spa.wire, { key: enc.encode("fwknoptest"), hmacKey: enc.encode("hmactest") });
  assert(r.ok, JSON.stringify(r));
});

Deno.test("web request: each unusable setting is refused by name", () => {
  const cases: [Partial<WebSettings>, string][] = [
    [{ SPA_SERVER: "" }, "SPA_SERVER"],
    [{ SPA_SERVER: "evil.example/x?y" }, "SPA_SERVER"],
    [{ SPA_SERVER: "a b" }, "SPA_SERVER"],
    [{ SPA_SERVER_PORT: "0" }, "SPA_SERVER_PORT"],
    [{ SPA_SERVER_PORT: "65536" }, "SPA_SERVER_PORT"],
    [{ SPA_SERVER_PORT: "1e3" }, "SPA_SERVER_PORT"],
    [{ SPA_SERVER_PROTO: "ftp" }, "SPA_SERVER_PROTO"],
    [{ ACCESS: "tcp/0" }, "ACCESS"],
    [{ ACCESS: "tcp/22\nX" }, "ACCESS"],
    [{ ALLOW_IP: "999.1.1.1" }, "ALLOW_IP"],
    [{ KEY_BASE64: "", KEY: "" }, "KEY_BASE64"],
    [{ KEY_BASE64: "!!!" }, "KEY_BASE64"],
    [{ HMAC_DIGEST_TYPE: "sha224" }, "HMAC_DIGEST_TYPE"],
    [{ DIGEST_TYPE: "crc32" }, "DIGEST_TYPE"],
    [{ FW_TIMEOUT: "-1" }, "FW_TIMEOUT"],
    [{ FW_TIMEOUT: "70000" }, "FW_TIMEOUT"],
  ];
  for (const [over, name] of cases) {
    assertThrows(() => buildWebSpa(settings(over), NOW), RangeError, name);
  }
});

Deno.test("web request: two sends of the same settings are two different packets", () => {
  const a = buildWebSpa(settings(), NOW);
  const b = buildWebSpa(settings(), NOW);
  assert(a.wire !== b.wire, "a re-send must not be a replay");
});

Deno.test("web request: a page served over https refuses plain http instead of failing silently", () => {
  assertMatch(mixedContentProblem("https:", settings())!, /^Cannot send over http from a page/);
  assert(mixedContentProblem("https:", settings({ SPA_SERVER_PROTO: "HTTP" })) !== undefined);
  assertEquals(mixedContentProblem("https:", settings({ SPA_SERVER_PROTO: "https" })), undefined);
  assertEquals(mixedContentProblem("file:", settings()), undefined);
  assertEquals(mixedContentProblem("http:", settings()), undefined);
});
