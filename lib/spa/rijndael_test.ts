import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { haveCommand, skip } from "../../tests/env.ts";
import {
  deriveKeyIv,
  EncryptionMode,
  legacyKey,
  parseModeName,
  rijndaelDecrypt,
  rijndaelEncrypt,
} from "./rijndael.ts";

const enc = new TextEncoder();
const hex = (b: Uint8Array) => [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
const salt = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const KEY_HEX = "ebe462fe5be052f4611bbb47b9e7c48bd8b947d85052411f55c16f0e4e04a5ff";
const IV_HEX = "48926d083e8525f9424a6bdaec95c20c";
const modes = [
  EncryptionMode.CBC,
  EncryptionMode.CTR,
  EncryptionMode.CFB,
  EncryptionMode.OFB,
  EncryptionMode.ECB,
  EncryptionMode.LEGACY,
];

Deno.test("parseModeName accepts fwknop's names, any case, and refuses PCBC", () => {
  assertEquals(parseModeName("cbc"), EncryptionMode.CBC);
  assertEquals(parseModeName("CTR"), EncryptionMode.CTR);
  assertEquals(parseModeName("Legacy"), EncryptionMode.LEGACY);
  assertEquals(parseModeName("pcbc"), undefined);
  assertEquals(parseModeName("aes"), undefined);
});

Deno.test("legacyKey pads with '0' to 16 bytes and truncates longer keys", () => {
  assertEquals(new TextDecoder().decode(legacyKey(enc.encode("fwknoptest"))), "fwknoptest000000");
  assertEquals(
    new TextDecoder().decode(legacyKey(enc.encode("0123456789abcdefXYZ"))),
    "0123456789abcdef",
  );
});

Deno.test("deriveKeyIv matches OpenSSL EVP_BytesToKey(MD5)", () => {
  // From: openssl enc -aes-256-cbc -md md5 -S 0102030405060708 -pass pass:fwknoptest -P
  const { key, iv } = deriveKeyIv(enc.encode("fwknoptest"), salt);
  assertEquals(hex(key), KEY_HEX);
  assertEquals(hex(iv), IV_HEX);
});

for (const mode of modes) {
  Deno.test(`rijndael round trip in mode ${mode} at every plaintext length up to 48`, () => {
    for (let n = 0; n <= 48; n++) {
      const pt = enc.encode("x".repeat(n));
      const framed = rijndaelEncrypt(pt, enc.encode("fwknoptest"), mode, salt);
      assertEquals(framed.length % 16, 0);
      assertEquals(new TextDecoder().decode(framed.subarray(0, 8)), "Salted__");
      assertEquals(rijndaelDecrypt(framed, enc.encode("fwknoptest"), mode), pt);
    }
  });
}

Deno.test("rijndaelDecrypt refuses framings that cannot be ciphertext", () => {
  const k = enc.encode("k");
  assertEquals(rijndaelDecrypt(new Uint8Array(16), k, EncryptionMode.CBC), undefined);
  assertEquals(rijndaelDecrypt(new Uint8Array(40), k, EncryptionMode.CBC), undefined);
  assertEquals(
    rijndaelDecrypt(new Uint8Array(32), new Uint8Array(33), EncryptionMode.CBC),
    undefined,
  );
  assertEquals(rijndaelDecrypt(new Uint8Array(32), k, EncryptionMode.ASYMMETRIC), undefined);
  const framed = rijndaelEncrypt(enc.encode("hello"), k, EncryptionMode.CBC, salt);
  assert(rijndaelDecrypt(framed, k, EncryptionMode.CBC) !== undefined);
  framed[7] = framed[7]! ^ 1; // "Salted_^": libfko would not notice
  assertEquals(rijndaelDecrypt(framed, k, EncryptionMode.CBC), undefined);
});

Deno.test("rijndaelEncrypt refuses bad keys and salts", () => {
  assertThrows(
    () => rijndaelEncrypt(new Uint8Array(1), new Uint8Array(33), EncryptionMode.CBC),
    RangeError,
    "1 to 32 bytes",
  );
  assertThrows(
    () => rijndaelEncrypt(new Uint8Array(1), new Uint8Array(0), EncryptionMode.CBC),
    RangeError,
  );
  assertThrows(
    () =>
      rijndaelEncrypt(new Uint8Array(1), new Uint8Array(4), EncryptionMode.CBC, new Uint8Array(4)),
    RangeError,
    "salt",
  );
});

const OPENSSL_NAMES: Record<number, string> = {
  [EncryptionMode.CBC]: "aes-256-cbc",
  [EncryptionMode.CTR]: "aes-256-ctr",
  [EncryptionMode.CFB]: "aes-256-cfb",
  [EncryptionMode.OFB]: "aes-256-ofb",
  [EncryptionMode.ECB]: "aes-256-ecb",
  [EncryptionMode.LEGACY]: "aes-256-cbc",
};

Deno.test("rijndaelEncrypt matches `openssl enc` byte for byte in every mode", async (t) => {
  if (!(await haveCommand("openssl", ["version"]))) {
    skip("the openssl binary is not installed (Debian package openssl)");
    return;
  }
  for (const mode of modes) {
    await t.step(
      OPENSSL_NAMES[mode]! + (mode === EncryptionMode.LEGACY ? " (legacy)" : ""),
      async () => {
        const pt = enc.encode("1234567890123456:cm9vdA:1795319286:3.0.0:1:MS4yLjMuNCx0Y3AvMjI");
        const mine = rijndaelEncrypt(pt, enc.encode("fwknoptest"), mode, salt);
        const pass = mode === EncryptionMode.LEGACY ? "fwknoptest000000" : "fwknoptest";
        // PKCS#7 is applied in every mode by libfko, so pad here and run openssl with -nopad.
        const pad = 16 - (pt.length % 16);
        const padded = new Uint8Array(pt.length + pad).fill(pad);
        padded.set(pt);
        const p = new Deno.Command("openssl", {
          args: [
            "enc",
            "-" + OPENSSL_NAMES[mode]!,
            "-md",
            "md5",
            "-S",
            hex(salt),
            "-pass",
            `pass:${pass}`,
            "-nopad",
          ],
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const w = p.stdin.getWriter();
        await w.write(padded);
        await w.close();
        const out = await p.output();
        assert(out.success, new TextDecoder().decode(out.stderr));
        // OpenSSL 3 leaves out the Salted__ header when the salt is given with -S.
        assertEquals(hex(mine.subarray(16)), hex(out.stdout));
      },
    );
  }
});
