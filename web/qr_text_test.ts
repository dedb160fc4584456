import { assertEquals, assertThrows } from "../tests/assert.ts";
import { keysQrText } from "../lib/qr/keys_qr.ts";
import { MAX_QR_TEXT_LEN, parseQrText } from "./qr_text.ts";

Deno.test("qr text: reads what fwknop-ts --key-gen --qr encodes", () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const hmac = crypto.getRandomValues(new Uint8Array(64));
  const text = keysQrText(key, hmac);
  const [k, h] = text.split(" ").map((p) => p.split(":")[1]);
  assertEquals(parseQrText(text), { keyBase64: k, hmacKeyBase64: h });
  assertEquals(parseQrText(keysQrText(key)), { keyBase64: k });
});

Deno.test("qr text: reads .fwknoprc lines too", () => {
  assertEquals(parseQrText("KEY_BASE64          YWJj\nHMAC_KEY_BASE64  ZGVm\n"), {
    keyBase64: "YWJj",
    hmacKeyBase64: "ZGVm",
  });
});

Deno.test("qr text: refuses text without a key, with a non-base64 key, or too long", () => {
  assertThrows(() => parseQrText("HMAC_KEY_BASE64:ZGVm"), SyntaxError, "no KEY_BASE64");
  assertThrows(() => parseQrText("KEY_BASE64:<script>"), SyntaxError, "not base64");
  assertThrows(() => parseQrText("x".repeat(MAX_QR_TEXT_LEN + 1)), SyntaxError, "longer than");
});
