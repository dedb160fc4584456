/**
 * The libcrypto backend of the crypto seam: OpenSSL's libcrypto through
 * `Deno.dlopen`, one foreign call per primitive. Deno only; needs
 * `--allow-ffi`.
 *
 * @module
 */
import { type AesMode, type CryptoBackend, HASH_BYTES, type HashName } from "./crypto_api.ts";
import { dlopenFirst, libNames } from "./libs.ts";

/** Where libcrypto is looked for, most specific first. */
const SYMBOLS = {
  // OpenSSL 3 fetches an implementation on every use of the legacy EVP_*()
  // objects; fetching once up front halves the cost of each call.
  EVP_MD_fetch: { parameters: ["pointer", "buffer", "pointer"], result: "pointer", optional: true },
  EVP_CIPHER_fetch: {
    parameters: ["pointer", "buffer", "pointer"],
    result: "pointer",
    optional: true,
  },
  // The low-level one-shot MD5 skips the EVP layer entirely (3x faster than
  // EVP_Digest); only the key derivation uses it.
  MD5: { parameters: ["buffer", "usize", "buffer"], result: "pointer", optional: true },
  EVP_md5: { parameters: [], result: "pointer" },
  EVP_sha1: { parameters: [], result: "pointer" },
  EVP_sha256: { parameters: [], result: "pointer" },
  EVP_sha384: { parameters: [], result: "pointer" },
  EVP_sha512: { parameters: [], result: "pointer" },
  EVP_sha3_256: { parameters: [], result: "pointer" },
  EVP_sha3_512: { parameters: [], result: "pointer" },
  EVP_aes_256_ecb: { parameters: [], result: "pointer" },
  EVP_aes_256_cbc: { parameters: [], result: "pointer" },
  EVP_aes_256_cfb128: { parameters: [], result: "pointer" },
  EVP_aes_256_ofb: { parameters: [], result: "pointer" },
  EVP_aes_256_ctr: { parameters: [], result: "pointer" },
  // int EVP_Digest(const void *data, size_t count, unsigned char *md,
  //                unsigned int *size, const EVP_MD *type, ENGINE *impl)
  EVP_Digest: {
    parameters: ["buffer", "usize", "buffer", "buffer", "pointer", "pointer"],
    result: "i32",
  },
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  // int EVP_CipherInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *type,
  //                       ENGINE *impl, const unsigned char *key,
  //                       const unsigned char *iv, int enc)
  EVP_CipherInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CIPHER_CTX_set_padding: { parameters: ["pointer", "i32"], result: "i32" },
  // int EVP_CipherUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl,
  //                      const unsigned char *in, int inl)
  EVP_CipherUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
} as const;

/** HMAC block sizes in bytes (RFC 2104's B). */
const BLOCK_BYTES: Readonly<Record<HashName, number>> = {
  "md5": 64,
  "sha1": 64,
  "sha256": 64,
  "sha384": 128,
  "sha512": 128,
  "sha3-256": 136,
  "sha3-512": 72,
};

/** OpenSSL's names for fetching. */
const MD_NAMES: Readonly<Record<HashName, string>> = {
  "md5": "MD5",
  "sha1": "SHA1",
  "sha256": "SHA256",
  "sha384": "SHA384",
  "sha512": "SHA512",
  "sha3-256": "SHA3-256",
  "sha3-512": "SHA3-512",
};

const CIPHER_NAMES: Readonly<Record<AesMode, string>> = {
  ecb: "AES-256-ECB",
  cbc: "AES-256-CBC",
  cfb: "AES-256-CFB",
  ofb: "AES-256-OFB",
  ctr: "AES-256-CTR",
};

const MAX_BLOCK = 136;
const MAX_HASH = 64;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

function load(): Lib | undefined {
  try {
    return dlopenFirst(libNames("crypto"), SYMBOLS);
  } catch {
    return undefined;
  }
}

const cString = (text: string) => new TextEncoder().encode(`${text}\0`);

type Digest = CryptoBackend["digest"];

const fail = (what: string): never => {
  throw new Error(`libcrypto: ${what} failed`);
};

/** Step 1: the digests, ciphers and context, fetched once; undefined when one is missing. */
function resolve(
  lib: Lib,
):
  | {
    md: Record<HashName, Deno.PointerValue>;
    cipher: Record<AesMode, Deno.PointerValue>;
    ctx: Deno.PointerValue;
  }
  | undefined {
  const fetchMd = (name: HashName, legacy: () => Deno.PointerValue) =>
    lib.EVP_MD_fetch?.(null, cString(MD_NAMES[name]), null) ?? legacy();
  const fetchCipher = (mode: AesMode, legacy: () => Deno.PointerValue) =>
    lib.EVP_CIPHER_fetch?.(null, cString(CIPHER_NAMES[mode]), null) ?? legacy();
  const md: Record<HashName, Deno.PointerValue> = {
    "md5": fetchMd("md5", lib.EVP_md5),
    "sha1": fetchMd("sha1", lib.EVP_sha1),
    "sha256": fetchMd("sha256", lib.EVP_sha256),
    "sha384": fetchMd("sha384", lib.EVP_sha384),
    "sha512": fetchMd("sha512", lib.EVP_sha512),
    "sha3-256": fetchMd("sha3-256", lib.EVP_sha3_256),
    "sha3-512": fetchMd("sha3-512", lib.EVP_sha3_512),
  };
  const cipher: Record<AesMode, Deno.PointerValue> = {
    ecb: fetchCipher("ecb", lib.EVP_aes_256_ecb),
    cbc: fetchCipher("cbc", lib.EVP_aes_256_cbc),
    cfb: fetchCipher("cfb", lib.EVP_aes_256_cfb128),
    ofb: fetchCipher("ofb", lib.EVP_aes_256_ofb),
    ctr: fetchCipher("ctr", lib.EVP_aes_256_ctr),
  };
  const ctx = lib.EVP_CIPHER_CTX_new();
  if (Object.values(md).includes(null) || Object.values(cipher).includes(null) || ctx === null) {
    return undefined;
  }
  return { md, cipher, ctx };
}

/** The one-shot digest over fetched `md`. */
function makeDigest(lib: Lib, md: Record<HashName, Deno.PointerValue>): Digest {
  return (alg: HashName, data: Uint8Array, out: Uint8Array): number => {
    if (out.length < HASH_BYTES[alg]) throw new RangeError("digest: output buffer too small");
    if (lib.EVP_Digest(data, BigInt(data.length), out, null, md[alg], null) !== 1) {
      fail(`EVP_Digest(${alg})`);
    }
    return HASH_BYTES[alg];
  };
}

/**
 * RFC 2104 over the digest: H((K ^ opad) || H((K ^ ipad) || data)).
 * OpenSSL 3's one-shot HMAC() fetches its MAC on every call and costs
 * twice as much as these two digests.
 */
function makeHmac(digest: Digest): CryptoBackend["hmac"] {
  // Scratch, wiped after each use.
  const inner = new Uint8Array(MAX_HASH);
  const keyHash = new Uint8Array(MAX_HASH);
  const outer = new Uint8Array(MAX_BLOCK + MAX_HASH);
  let pad = new Uint8Array(MAX_BLOCK + 2048);
  return (alg: HashName, key: Uint8Array, data: Uint8Array, out: Uint8Array): number => {
    const b = BLOCK_BYTES[alg];
    const l = HASH_BYTES[alg];
    if (out.length < l) throw new RangeError("hmac: output buffer too small");
    let k = key;
    if (key.length > b) {
      digest(alg, key, keyHash);
      k = keyHash.subarray(0, l);
    }
    if (pad.length < b + data.length) pad = new Uint8Array(b + data.length);
    try {
      for (let i = 0; i < b; i++) {
        const v = i < k.length ? k[i]! : 0;
        pad[i] = v ^ 0x36;
        outer[i] = v ^ 0x5c;
      }
      pad.set(data, b);
      digest(alg, pad.subarray(0, b + data.length), inner);
      outer.set(inner.subarray(0, l), b);
      return digest(alg, outer.subarray(0, b + l), out);
    } finally {
      pad.fill(0, 0, b);
      outer.fill(0);
      inner.fill(0);
      keyHash.fill(0);
    }
  };
}

/** EVP_BytesToKey(MD5, 1 round): D_i = MD5(D_{i-1} || pass || salt). */
function makeBytesToKey(lib: Lib, digest: Digest): CryptoBackend["bytesToKey"] {
  const md5 = lib.MD5;
  // Scratch, wiped after each use.
  const kdf = new Uint8Array(MAX_HASH + 32 + 8);
  return (pass: Uint8Array, salt: Uint8Array, out: Uint8Array): void => {
    if (salt.length !== 8 || out.length < 48 || pass.length > 32) {
      throw new RangeError("bytesToKey: needs an 8-byte salt, 48 bytes of output, pass <= 32");
    }
    try {
      let prev = 0;
      for (let off = 0; off < 48; off += 16) {
        kdf.set(out.subarray(off - prev, off), 0);
        kdf.set(pass, prev);
        kdf.set(salt, prev + pass.length);
        const input = kdf.subarray(0, prev + pass.length + 8);
        const block = out.subarray(off, off + 16);
        if (md5 === null) digest("md5", input, block);
        else md5(input, BigInt(input.length), block);
        prev = 16;
      }
    } finally {
      kdf.fill(0);
    }
  };
}

/** AES-256 in one reused context, padding off. */
function makeAes(
  lib: Lib,
  cipher: Record<AesMode, Deno.PointerValue>,
  ctx: Deno.PointerValue,
): CryptoBackend["aes"] {
  const outLen = new Int32Array(1);
  /** The mode `ctx` was last set up for (its padding already off). */
  let lastCipher: AesMode | undefined;
  return (
    mode: AesMode,
    key: Uint8Array,
    iv: Uint8Array,
    decrypt: boolean,
    data: Uint8Array,
    out: Uint8Array,
  ): number => {
    if (key.length !== 32 || (mode !== "ecb" && iv.length !== 16)) {
      throw new RangeError("aes: the key must be 32 bytes and the IV 16");
    }
    if (out.length < data.length + 16) throw new RangeError("aes: output buffer too small");
    if ((mode === "ecb" || mode === "cbc") && data.length % 16 !== 0) {
      throw new RangeError("aes: ECB and CBC take whole blocks");
    }
    // With padding off and whole blocks, Update writes everything and Final
    // would add nothing; a context that keeps its cipher keeps its padding
    // setting too, so a re-init with a new key and IV needs no other call.
    if (lastCipher === mode) {
      if (lib.EVP_CipherInit_ex(ctx, null, null, key, iv, decrypt ? 0 : 1) !== 1) {
        fail("EVP_CipherInit_ex");
      }
    } else {
      lastCipher = undefined;
      if (lib.EVP_CipherInit_ex(ctx, cipher[mode], null, key, iv, decrypt ? 0 : 1) !== 1) {
        fail("EVP_CipherInit_ex");
      }
      if (lib.EVP_CIPHER_CTX_set_padding(ctx, 0) !== 1) fail("EVP_CIPHER_CTX_set_padding");
      lastCipher = mode;
    }
    if (lib.EVP_CipherUpdate(ctx, out, outLen, data, data.length) !== 1) {
      fail("EVP_CipherUpdate");
    }
    return outLen[0]!;
  };
}

/** Known answer: SHA-256("abc"); a library that gives anything else is refused. */
function knownAnswer(backend: CryptoBackend): boolean {
  const abc = new Uint8Array([0x61, 0x62, 0x63]);
  const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  try {
    const out = new Uint8Array(32);
    backend.digest("sha256", abc, out);
    const got = Array.from(out, (b) => b.toString(16).padStart(2, "0"));
    return got.join("") === want;
  } catch {
    return false;
  }
}

/**
 * Opens libcrypto and checks it against known answers.
 *
 * @returns The backend, or `undefined` when libcrypto cannot be loaded or
 *   lacks a primitive (the caller then falls back to `node:crypto`).
 */
export function openLibcrypto(): CryptoBackend | undefined {
  let lib: Lib | undefined;
  try {
    lib = load();
  } catch {
    return undefined;
  }
  if (lib === undefined) return undefined;
  const found = resolve(lib);
  if (found === undefined) return undefined;
  const digest = makeDigest(lib, found.md);
  const backend: CryptoBackend = {
    name: "libcrypto",
    digest,
    hmac: makeHmac(digest),
    bytesToKey: makeBytesToKey(lib, digest),
    aes: makeAes(lib, found.cipher, found.ctx),
  };
  return knownAnswer(backend) ? backend : undefined;
}
