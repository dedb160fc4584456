import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { DigestType } from "./digest.ts";
import { MessageType } from "./message.ts";
import {
  decodeSpa,
  encodeSpa,
  GPG_MIN_LEN,
  randomValue,
  SpaKeyError,
  type SpaRequest,
} from "./packet.ts";
import { EncryptionMode } from "./rijndael.ts";

const enc = new TextEncoder();
const key = enc.encode("fwknoptest");
const hmacKey = enc.encode("fwknophmactest");
const req: SpaRequest = {
  message: "1.2.3.4,tcp/22",
  messageType: MessageType.ACCESS,
  username: "root",
  key,
  hmacKey,
};

function reason(r: ReturnType<typeof decodeSpa>): string {
  return r.ok ? "ok" : r.reason;
}

Deno.test("encodeSpa output decodes with the same keys", () => {
  const spa = encodeSpa({ ...req, clientTimeout: 60 });
  assert(/^[89+/]/.test(spa.wire), "Rijndael wire starts with 8, 9, + or /");
  const r = decodeSpa(spa.wire, { key, hmacKey });
  assert(r.ok);
  assertEquals(r.fields.messageType, MessageType.CLIENT_TIMEOUT_ACCESS);
  assertEquals(r.fields.clientTimeout, 60);
  assertEquals(r.hmac, spa.hmac);
});

Deno.test("decodeSpa names each reason", () => {
  const spa = encodeSpa(req);
  assertEquals(reason(decodeSpa("short", { key })), "bad-length");
  assertEquals(reason(decodeSpa("x".repeat(1500), { key })), "bad-length");
  assertEquals(reason(decodeSpa(spa.wire.replace(/.$/, "!"), { key, hmacKey })), "not-base64");
  assertEquals(reason(decodeSpa("U2FsdGVkX1" + spa.wire, { key, hmacKey })), "not-base64");
  assertEquals(reason(decodeSpa(spa.wire, { key, hmacKey: enc.encode("other") })), "hmac-mismatch");
  assertEquals(
    reason(decodeSpa(spa.wire, { key, hmacKey, hmacType: DigestType.SHA3_256 })),
    "hmac-mismatch",
  );
  assertEquals(
    reason(decodeSpa(spa.wire, { key: enc.encode("wrongkey"), hmacKey })),
    "decrypt-failed",
  );
  assertEquals(
    reason(decodeSpa(spa.wire, { key, hmacKey, mode: EncryptionMode.CTR })),
    "decrypt-failed",
  );
  // A stanza without an HMAC key treats the MAC as ciphertext: depending on
  // the length, the base64, the block length or the plaintext check fails.
  assert(
    ["not-base64", "decrypt-failed", "bad-field"].includes(reason(decodeSpa(spa.wire, { key }))),
  );
  assertEquals(reason(decodeSpa("A".repeat(GPG_MIN_LEN), { key })), "encryption-type");
});

Deno.test("decodeSpa refuses non-canonical base64 so a packet has one wire form", () => {
  const spa = encodeSpa({ ...req, hmacKey: undefined } as SpaRequest);
  delete (spa as { hmac?: string }).hmac;
  // The last character of an unpadded base64 string carries spare low bits;
  // flipping them keeps the bytes but changes the text.
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const last = alphabet.indexOf(spa.wire.at(-1)!);
  const full = "U2FsdGVkX1".length + spa.wire.length;
  const spare = (full * 6) % 8; // bits of the last character that carry no data
  assert(spare > 0, "test needs a wire with spare bits");
  const twin = spa.wire.slice(0, -1) + alphabet[last ^ 1];
  assertEquals(reason(decodeSpa(spa.wire, { key })), "ok");
  assertEquals(reason(decodeSpa(twin, { key })), "not-base64");
});

Deno.test("encodeSpa refuses packets fwknop would classify as GnuPG", () => {
  const many = Array.from({ length: 19 }, (_, i) => `tcp/${1000 + i}`).join(",");
  assertThrows(() => encodeSpa({ ...req, message: `1.2.3.4,${many}` }), SpaKeyError, "400 or more");
  const fewer = Array.from({ length: 12 }, (_, i) => `tcp/${1000 + i}`).join(",");
  assert(encodeSpa({ ...req, message: `1.2.3.4,${fewer}` }).wire.length < GPG_MIN_LEN);
});

Deno.test("encodeSpa refuses key combinations fwknop refuses", () => {
  assertThrows(() => encodeSpa({ ...req, hmacKey: key }), SpaKeyError, "same key");
  assertThrows(() => encodeSpa({ ...req, mode: EncryptionMode.LEGACY }), SpaKeyError, "legacy");
  assertThrows(() => encodeSpa({ ...req, key: new Uint8Array(33) }), SpaKeyError, "1 to 32 bytes");
  assertThrows(
    () => encodeSpa({ ...req, hmacKey: new Uint8Array(129) }),
    SpaKeyError,
    "1 to 128 bytes",
  );
});

Deno.test("randomValue gives 16 digits", () => {
  for (let i = 0; i < 100; i++) assert(/^\d{16}$/.test(randomValue()));
});
