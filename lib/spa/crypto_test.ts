import fc from "npm:fast-check@3.23.2";
import { assertEquals } from "../../tests/assert.ts";
import { skip } from "../../tests/env.ts";
import { nodeBackend } from "./_crypto_node.ts";
import { libcryptoOnFirstUse, openLibcrypto } from "../sys/_crypto_libcrypto.ts";
import { type AesMode, backend, HASH_BYTES, type HashName } from "./crypto.ts";

const lib = openLibcrypto();
const skipLib = lib === undefined;
if (skipLib) skip("libcrypto backend tests: libcrypto.so.3 cannot be loaded here");

const HASHES = Object.keys(HASH_BYTES) as HashName[];
const MODES: AesMode[] = ["ecb", "cbc", "cfb", "ofb", "ctr"];
const hex = (b: Uint8Array) => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
const unhex = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));

function hmacOf(be: typeof nodeBackend, alg: HashName, key: Uint8Array, data: Uint8Array) {
  const out = new Uint8Array(HASH_BYTES[alg]);
  be.hmac(alg, key, data, out);
  return hex(out);
}

Deno.test("the process picks libcrypto when Deno runs with --allow-ffi", () => {
  assertEquals(backend.name, skipLib ? "node:crypto" : "libcrypto");
});

for (const be of [nodeBackend, lib].filter((b) => b !== undefined)) {
  Deno.test(`${be.name}: HMAC matches RFC 4231 test cases 1 and 6`, () => {
    const tc1 = hmacOf(
      be,
      "sha256",
      new Uint8Array(20).fill(0x0b),
      new TextEncoder().encode("Hi There"),
    );
    assertEquals(tc1, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Case 6: a 131-byte key, longer than the block, is hashed first.
    const tc6 = hmacOf(
      be,
      "sha512",
      new Uint8Array(131).fill(0xaa),
      new TextEncoder().encode("Test Using Larger Than Block-Size Key - Hash Key First"),
    );
    assertEquals(
      tc6,
      "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
    );
  });

  Deno.test(`${be.name}: bytesToKey matches openssl's EVP_BytesToKey known answer`, () => {
    // `openssl enc -aes-256-cbc -md md5 -pass pass:fwknop -S 0001020304050607 -P`
    const out = new Uint8Array(48);
    be.bytesToKey(new TextEncoder().encode("fwknop"), unhex("0001020304050607"), out);
    assertEquals(hex(out), KDF_ANSWER);
  });
}

// From `openssl enc -aes-256-cbc -md md5 -pass pass:fwknop -S 0001020304050607 -P`: key || iv.
const KDF_ANSWER =
  "7bc864fb4124c2d1e5ac5b4594e4a04d8528129bec923a998c8f79814025c6fbe271fc1a2727b4c81d223a60f640c8c3";

Deno.test({
  name: "libcrypto and node:crypto give the same bytes for every primitive",
  ignore: skipLib,
  fn() {
    const l = lib!;
    const n = nodeBackend;
    fc.assert(
      fc.property(
        fc.constantFrom(...HASHES),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.uint8Array({ maxLength: 600 }),
        (alg, key, data) => {
          const a = new Uint8Array(64);
          const b = new Uint8Array(64);
          assertEquals(l.digest(alg, data, a), n.digest(alg, data, b));
          assertEquals(hex(a), hex(b));
          assertEquals(hmacOf(l, alg, key, data), hmacOf(n, alg, key, data));
        },
      ),
      { numRuns: 700 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (pass, salt) => {
          const a = new Uint8Array(48);
          const b = new Uint8Array(48);
          l.bytesToKey(pass, salt, a);
          n.bytesToKey(pass, salt, b);
          assertEquals(hex(a), hex(b));
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...MODES),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        (mode, key, iv, blocks, decrypt) => {
          const stream = mode === "cfb" || mode === "ofb" || mode === "ctr";
          const len = blocks * 16 + (stream ? blocks % 16 : 0);
          const data = crypto.getRandomValues(new Uint8Array(len));
          const a = new Uint8Array(len + 16);
          const b = new Uint8Array(len + 16);
          const na = l.aes(mode, key, iv, decrypt, data, a);
          const nb = n.aes(mode, key, iv, decrypt, data, b);
          assertEquals(na, len);
          assertEquals(nb, len);
          assertEquals(hex(a), hex(b));
        },
      ),
      { numRuns: 500 },
    );
  },
});

Deno.test({
  name: "libcrypto AES gives the same bytes when the same mode repeats or alternates",
  ignore: skipLib,
  fn() {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const iv = crypto.getRandomValues(new Uint8Array(16));
    const data = crypto.getRandomValues(new Uint8Array(64));
    const once = (be: typeof nodeBackend, mode: AesMode, decrypt: boolean) => {
      const out = new Uint8Array(80);
      return hex(out.subarray(0, be.aes(mode, key, iv, decrypt, data, out)));
    };
    const seq: [AesMode, boolean][] = [
      ["cbc", true],
      ["cbc", true],
      ["cbc", false],
      ["ctr", false],
      ["cbc", true],
      ["ecb", true],
      ["ecb", false],
      ["cfb", true],
      ["cfb", true],
      ["ofb", false],
    ];
    for (const [mode, decrypt] of seq) {
      assertEquals(
        once(lib!, mode, decrypt),
        once(nodeBackend, mode, decrypt),
        `${mode} ${decrypt}`,
      );
    }
  },
});

Deno.test({
  name: "libcrypto through OpenSSL 1.1's by-name getters gives the same bytes",
  ignore: skipLib,
  fn() {
    const l = openLibcrypto({ byName: true })!;
    const key = crypto.getRandomValues(new Uint8Array(40));
    const iv = crypto.getRandomValues(new Uint8Array(16));
    const data = crypto.getRandomValues(new Uint8Array(96));
    for (const alg of HASHES) {
      const [a, b] = [new Uint8Array(64), new Uint8Array(64)];
      l.digest(alg, data, a);
      nodeBackend.digest(alg, data, b);
      assertEquals(hex(a), hex(b), alg);
      assertEquals(hmacOf(l, alg, key, data), hmacOf(nodeBackend, alg, key, data), alg);
    }
    for (const mode of MODES) {
      for (const decrypt of [false, true]) {
        const [a, b] = [new Uint8Array(112), new Uint8Array(112)];
        l.aes(mode, key.subarray(0, 32), iv, decrypt, data, a);
        nodeBackend.aes(mode, key.subarray(0, 32), iv, decrypt, data, b);
        assertEquals(hex(a), hex(b), `${mode} ${decrypt}`);
      }
    }
  },
});

Deno.test({
  name: "libcrypto does not read openssl.cnf: a configuration asking for FIPS changes nothing",
  ignore: skipLib,
  async fn() {
    // Under this configuration OpenSSL refuses every fetch (no FIPS provider
    // is loaded), and MD5 even with one; read, it would leave libcrypto unusable.
    const conf = await Deno.makeTempFile({ suffix: ".cnf" });
    await Deno.writeTextFile(
      conf,
      "openssl_conf = init\n[init]\nalg_section = evp\n[evp]\ndefault_properties = fips=yes\n",
    );
    const module = new URL("../sys/_crypto_libcrypto.ts", import.meta.url).href;
    const code = `import { openLibcrypto } from "${module}";
      const b = openLibcrypto(); const out = new Uint8Array(16);
      b?.digest("md5", new Uint8Array(0), out);
      console.log(b?.name, Array.from(out, (v) => v.toString(16).padStart(2, "0")).join(""));`;
    try {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--no-lock", "--ext=ts", code],
        env: { OPENSSL_CONF: conf },
        stdout: "piped",
      }).output();
      const out = new TextDecoder().decode(r.stdout).trim();
      assertEquals(out, "libcrypto d41d8cd98f00b204e9800998ecf8427e");
    } finally {
      await Deno.remove(conf);
    }
  },
});

Deno.test({
  name:
    "libcrypto opened at first use: opens once, at the first call; a failed open says so and is retried",
  ignore: skipLib,
  fn() {
    let opens = 0;
    let works = false;
    const b = libcryptoOnFirstUse(() => (opens++, works ? openLibcrypto() : undefined))!;
    assertEquals([b.name, opens], ["libcrypto", 0], "nothing opened before the first call");
    const out = new Uint8Array(32);
    const abc = new TextEncoder().encode("abc");
    let message = "";
    try {
      b.digest("sha256", abc, out);
    } catch (e) {
      message = (e as Error).message;
    }
    assertEquals([opens, /^libcrypto: opening libcrypto .* failed$/.test(message)], [1, true]);
    works = true;
    assertEquals(b.digest("sha256", abc, out), 32);
    assertEquals(out[0], 0xba, "SHA-256(abc) starts with ba");
    b.digest("md5", abc, out);
    assertEquals(opens, 2, "opened once it worked, then kept");
  },
});
