import fc from "npm:fast-check@3.23.2";
import { assert, assertEquals } from "../../tests/assert.ts";
import { nobleBackend } from "./_crypto_noble.ts";
import { nodeBackend } from "./_crypto_node.ts";
import { type AesMode, HASH_BYTES, type HashName } from "../sys/crypto_api.ts";
import { webConfig } from "../../scripts/build_web.ts";

const HASHES = Object.keys(HASH_BYTES) as HashName[];
const MODES: AesMode[] = ["ecb", "cbc", "cfb", "ofb", "ctr"];
const hex = (b: Uint8Array) => Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
const text = (s: string) => new TextEncoder().encode(s);

function hmacHex(be: typeof nodeBackend, alg: HashName, key: Uint8Array, data: Uint8Array) {
  const out = new Uint8Array(HASH_BYTES[alg]);
  assertEquals(be.hmac(alg, key, data, out), HASH_BYTES[alg]);
  return hex(out);
}

Deno.test("noble: HMAC matches RFC 4231 test cases 1 and 6", () => {
  const tc1 = hmacHex(nobleBackend, "sha256", new Uint8Array(20).fill(0x0b), text("Hi There"));
  assertEquals(tc1, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const tc6 = hmacHex(
    nobleBackend,
    "sha512",
    new Uint8Array(131).fill(0xaa),
    text("Test Using Larger Than Block-Size Key - Hash Key First"),
  );
  assertEquals(
    tc6,
    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
  );
});

Deno.test("noble: MD5 and SHA3-256 of the empty string are the published values", () => {
  const md5 = new Uint8Array(16);
  nobleBackend.digest("md5", new Uint8Array(0), md5);
  assertEquals(hex(md5), "d41d8cd98f00b204e9800998ecf8427e");
  const s3 = new Uint8Array(32);
  nobleBackend.digest("sha3-256", new Uint8Array(0), s3);
  assertEquals(hex(s3), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
});

Deno.test("noble: bytesToKey matches openssl's EVP_BytesToKey known answer", () => {
  // `openssl enc -aes-256-cbc -md md5 -pass pass:fwknop -S 0001020304050607 -P`: key || iv.
  const out = new Uint8Array(48);
  nobleBackend.bytesToKey(text("fwknop"), Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7), out);
  assertEquals(
    hex(out),
    "7bc864fb4124c2d1e5ac5b4594e4a04d8528129bec923a998c8f79814025c6fbe271fc1a2727b4c81d223a60f640c8c3",
  );
});

Deno.test("noble and node:crypto give the same bytes for every digest, HMAC and the KDF", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...HASHES),
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.uint8Array({ maxLength: 600 }),
      (alg, key, data) => {
        const a = new Uint8Array(64);
        const b = new Uint8Array(64);
        assertEquals(nobleBackend.digest(alg, data, a), nodeBackend.digest(alg, data, b));
        assertEquals(hex(a), hex(b));
        assertEquals(hmacHex(nobleBackend, alg, key, data), hmacHex(nodeBackend, alg, key, data));
        const ka = new Uint8Array(48);
        const kb = new Uint8Array(48);
        nobleBackend.bytesToKey(key, data.subarray(0, 8), ka);
        nodeBackend.bytesToKey(key, data.subarray(0, 8), kb);
        assertEquals(hex(ka), hex(kb));
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("noble and node:crypto give the same bytes for AES-256 in every mode, both ways", () => {
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
        assertEquals(nobleBackend.aes(mode, key, iv, decrypt, data, a), len);
        assertEquals(nodeBackend.aes(mode, key, iv, decrypt, data, b), len);
        assertEquals(hex(a), hex(b), `${mode} ${decrypt ? "decrypt" : "encrypt"}`);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("noble: the golden vectors of the real fwknop client, byte for byte, through the page's crypto", async () => {
  // The page's build maps lib/spa/crypto.ts to web/spa_crypto.ts; run the
  // golden test under that same map, so every encode and decode goes through noble.
  const dir = await Deno.makeTempDir({ prefix: "noble-golden-" });
  try {
    const root = new URL("../../", import.meta.url);
    const cfg = `${dir}/deno.json`;
    await Deno.writeTextFile(cfg, JSON.stringify(webConfig(root)));
    await Deno.copyFile(new URL("deno.dev.lock", root), `${dir}/lock.json`);
    const probe = `${dir}/probe_test.ts`;
    await Deno.writeTextFile(
      probe,
      `import { backend } from "${new URL("lib/spa/crypto.ts", root)}";\n` +
        `import "${new URL("tests/golden_test.ts", root)}";\n` +
        `Deno.test("backend", () => { if (backend.name !== "noble") throw new Error(backend.name); });\n`,
    );
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-read", `--config=${cfg}`, `--lock=${dir}/lock.json`, probe],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    assert(r.success, out);
    assert(/golden vectors from the real client: vectors\.json \.\.\. ok/.test(out), out);
    assert(/backend \.\.\. ok/.test(out), out);
    assert(!/ 0 passed/.test(out), out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
