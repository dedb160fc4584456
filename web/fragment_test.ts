import { assert, assertEquals } from "../tests/assert.ts";
import {
  fragmentHasKey,
  MAX_FRAGMENT_LEN,
  mayAutoSend,
  mayUseStoredKeys,
  parseFragment,
} from "./fragment.ts";

Deno.test("fragment: the contract's names and percent-encoded values fill the settings", () => {
  const f = parseFragment(
    "#SPA_SERVER=198.51.100.7&ACCESS=tcp%2F22&KEY_BASE64=ab%2Bc%2F%3D&HMAC_KEY_BASE64=x+y&" +
      "SPA_SERVER_PROTO=http&SPA_SERVER_PORT=62201&ALLOW_IP=source&SEND=Y",
  );
  assertEquals(f.values, {
    SPA_SERVER: "198.51.100.7",
    ACCESS: "tcp/22",
    KEY_BASE64: "ab+c/=",
    HMAC_KEY_BASE64: "x+y",
    SPA_SERVER_PROTO: "http",
    SPA_SERVER_PORT: "62201",
    ALLOW_IP: "source",
  });
  assert(f.send);
  assert(mayAutoSend(f));
});

Deno.test("fragment attack: SEND=Y without a key of its own never sends", () => {
  const f = parseFragment("#SPA_SERVER=203.0.113.66&SEND=Y");
  assert(f.send);
  assert(!fragmentHasKey(f));
  assert(!mayAutoSend(f));
  // An HMAC key alone is not the encryption key.
  assert(!mayAutoSend(parseFragment("#SPA_SERVER=203.0.113.66&HMAC_KEY_BASE64=aGk=&SEND=Y")));
  // A key without a server has nowhere to go.
  assert(!mayAutoSend(parseFragment("#KEY_BASE64=aGk=&SEND=Y")));
});

Deno.test("fragment attack: a link that names another server keeps the remembered keys out", () => {
  const stored = { SPA_SERVER: "198.51.100.7", SPA_SERVER_PORT: "62201", KEY_BASE64: "c2VjcmV0" };
  assert(mayUseStoredKeys(parseFragment(""), stored));
  assert(mayUseStoredKeys(parseFragment("#ACCESS=tcp/2222"), stored));
  assert(mayUseStoredKeys(parseFragment("#SPA_SERVER=198.51.100.7"), stored));
  assert(!mayUseStoredKeys(parseFragment("#SPA_SERVER=203.0.113.66"), stored));
  assert(!mayUseStoredKeys(parseFragment("#SPA_SERVER_PORT=80"), stored));
  assert(!mayUseStoredKeys(parseFragment("#SPA_SERVER_PROTO=https"), stored));
  assert(!mayUseStoredKeys(parseFragment("#HMAC_KEY_BASE64=eA=="), stored));
});

Deno.test("fragment: unknown names, bad escapes and oversized fragments are ignored, never thrown", () => {
  const f = parseFragment("#FOO=1&KEY_BASE64=%E0%A4%A&__proto__=x&SEND=maybe&=&&");
  assertEquals(f.values, {});
  assertEquals(f.ignored, ["FOO", "KEY_BASE64", "__PROTO__", ""]);
  assert(!f.send);
  const big = parseFragment("#SPA_SERVER=" + "a".repeat(MAX_FRAGMENT_LEN));
  assertEquals(big.values, {});
  assertEquals(big.ignored.length, 1);
  assertEquals(parseFragment("").values, {});
  assertEquals(parseFragment("#send=yes&spa_server=h").values, { SPA_SERVER: "h" });
});
