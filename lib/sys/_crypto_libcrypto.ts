/**
 * The libcrypto backend of the crypto seam: OpenSSL's libcrypto through
 * `Deno.dlopen`, one foreign call per primitive. Deno only; needs
 * `--allow-ffi`.
 *
 * @module
 */
import { type AesMode, type CryptoBackend, HASH_BYTES, type HashName } from "./crypto_api.ts";
import { dlopenFirst, exportsSymbol, isOneShot, libNames } from "./libs.ts";

/**
 * The functions used from libcrypto: only what the primitives call. The
 * daemon binds them (a compiled call stub each, `dlopenFirst`), the one-shot
 * client calls them through Deno's generic call. The twelve legacy getters
 * (`EVP_sha256()`, ...) are not used: a fetch by name gives the same
 * algorithm.
 */
const SYMBOLS = {
  // int OPENSSL_init_crypto(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings)
  OPENSSL_init_crypto: { parameters: ["u64", "pointer"], result: "i32", optional: true },
  // OpenSSL 3 fetches an implementation on every use of the legacy EVP_*()
  // objects; fetching once halves the cost of each call. OpenSSL 1.1 has no
  // fetch, and gets its algorithms by name instead (BY_NAME).
  EVP_MD_fetch: { parameters: ["pointer", "buffer", "pointer"], result: "pointer", optional: true },
  EVP_CIPHER_fetch: {
    parameters: ["pointer", "buffer", "pointer"],
    result: "pointer",
    optional: true,
  },
  // The low-level one-shot MD5 skips the EVP layer entirely (3x faster than
  // EVP_Digest); only the key derivation uses it.
  MD5: { parameters: ["buffer", "usize", "buffer"], result: "pointer", optional: true },
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
} as const;

/** OpenSSL 1.1's getters by name, bound only where there is no fetch. */
const BY_NAME = {
  EVP_get_digestbyname: { parameters: ["buffer"], result: "pointer" },
  EVP_get_cipherbyname: { parameters: ["buffer"], result: "pointer" },
} as const;

/**
 * `OPENSSL_INIT_NO_LOAD_CONFIG`: libcrypto does not read `openssl.cnf` (or
 * `$OPENSSL_CONF`). Reading it costs start-up time, and a system
 * configuration could activate other providers (FIPS) or set default
 * properties that refuse or replace an algorithm. fwknop does its SPA
 * cryptography without OpenSSL, so no OpenSSL policy is owed; the built-in
 * default provider is what every fetch gets.
 */
const OPENSSL_INIT_NO_LOAD_CONFIG = 0x80n;

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

/** Step 1: opens libcrypto and initialises it without its configuration. */
function load(): Lib | undefined {
  let lib: Lib;
  try {
    lib = dlopenFirst(libNames("crypto"), SYMBOLS);
  } catch {
    return undefined;
  }
  // Before any other call, or the first one would load the configuration.
  const init = lib.OPENSSL_init_crypto;
  if (init !== null && init(OPENSSL_INIT_NO_LOAD_CONFIG, null) !== 1) return undefined;
  return lib;
}

const cString = (text: string) => new TextEncoder().encode(`${text}\0`);

/** An algorithm object of libcrypto (`EVP_MD *` or `EVP_CIPHER *`). */
type Alg = NonNullable<Deno.PointerValue>;

const fail = (what: string): never => {
  throw new Error(`libcrypto: ${what} failed`);
};

/** Finds an algorithm by OpenSSL's name; null when this libcrypto lacks it. */
interface Finder {
  md(name: string): Deno.PointerValue;
  cipher(name: string): Deno.PointerValue;
  /** Whether finding costs time (a fetch), so it waits for first use. */
  lazy: boolean;
}

/**
 * Step 2: how algorithms are found: fetched (OpenSSL 3), or by name
 * (OpenSSL 1.1, or `byName` for the tests); undefined when neither works.
 */
function finder(lib: Lib, byName: boolean): Finder | undefined {
  const { EVP_MD_fetch: mdFetch, EVP_CIPHER_fetch: cipherFetch } = lib;
  if (!byName && mdFetch !== null && cipherFetch !== null) {
    return {
      md: (name) => mdFetch(null, cString(name), null),
      cipher: (name) => cipherFetch(null, cString(name), null),
      lazy: true,
    };
  }
  try {
    const get = dlopenFirst(libNames("crypto"), BY_NAME) as Deno.DynamicLibrary<
      typeof BY_NAME
    >["symbols"];
    return {
      md: (name) => get.EVP_get_digestbyname(cString(name)),
      cipher: (name) => get.EVP_get_cipherbyname(cString(name)),
      lazy: false,
    };
  } catch {
    return undefined;
  }
}

/**
 * Step 3: a table of algorithms. Fetched ones are fetched on first use: a
 * client that sends one packet needs two of the twelve, and each fetch costs
 * start-up time. Ones found by name (cheap) are all found now, so a library
 * that lacks one (OpenSSL 1.1.0 has no SHA-3) is refused at once.
 *
 * @returns The lookup, which throws an `Error` when a fetch fails (OpenSSL
 *   3's default provider has all twelve); undefined when an algorithm
 *   found now is missing.
 */
function algTable<K extends string>(
  names: Readonly<Record<K, string>>,
  find: (name: string) => Deno.PointerValue,
  lazy: boolean,
): ((key: K) => Alg) | undefined {
  const found: Partial<Record<K, Alg>> = {};
  for (const key of lazy ? [] : Object.keys(names) as K[]) {
    const alg = find(names[key]);
    if (alg === null) return undefined;
    found[key] = alg;
  }
  return (key: K): Alg =>
    found[key] ?? (found[key] = find(names[key]) ?? fail(`fetch ${names[key]}`));
}

/**
 * A digest of the first `len` bytes of `data` (all of it by default): the
 * backend's own helpers pass whole scratch buffers with a length instead of
 * making a subarray view per call (each a new object to V8).
 */
type Digest = (alg: HashName, data: Uint8Array, out: Uint8Array, len?: number) => number;

/** The one-shot digest; `md` gives the algorithm. */
function makeDigest(lib: Lib, md: (alg: HashName) => Alg): Digest {
  return (alg: HashName, data: Uint8Array, out: Uint8Array, len = data.length): number => {
    if (out.length < HASH_BYTES[alg]) throw new RangeError("digest: output buffer too small");
    if (len > data.length) throw new RangeError("digest: length past the data");
    if (lib.EVP_Digest(data, BigInt(len), out, null, md(alg), null) !== 1) {
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
    let kLen = key.length;
    if (kLen > b) {
      digest(alg, key, keyHash);
      k = keyHash;
      kLen = l;
    }
    if (pad.length < b + data.length) pad = new Uint8Array(b + data.length);
    try {
      for (let i = 0; i < b; i++) {
        const v = i < kLen ? k[i]! : 0;
        pad[i] = v ^ 0x36;
        outer[i] = v ^ 0x5c;
      }
      pad.set(data, b);
      digest(alg, pad, inner, b + data.length);
      for (let i = 0; i < l; i++) outer[b + i] = inner[i]!;
      return digest(alg, outer, out, b + l);
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
  const block = new Uint8Array(16);
  return (pass: Uint8Array, salt: Uint8Array, out: Uint8Array): void => {
    if (salt.length !== 8 || out.length < 48 || pass.length > 32) {
      throw new RangeError("bytesToKey: needs an 8-byte salt, 48 bytes of output, pass <= 32");
    }
    try {
      let prev = 0;
      for (let off = 0; off < 48; off += 16) {
        for (let i = 0; i < prev; i++) kdf[i] = out[off - prev + i]!;
        kdf.set(pass, prev);
        kdf.set(salt, prev + pass.length);
        const len = prev + pass.length + 8;
        if (md5 === null) digest("md5", kdf, block, len);
        else md5(kdf, BigInt(len), block);
        out.set(block, off);
        prev = 16;
      }
    } finally {
      kdf.fill(0);
      block.fill(0);
    }
  };
}

/** AES-256 in one reused context, padding off. */
function makeAes(
  lib: Lib,
  cipher: (mode: AesMode) => Alg,
  ctx: Alg,
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
      if (lib.EVP_CipherInit_ex(ctx, cipher(mode), null, key, iv, decrypt ? 0 : 1) !== 1) {
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
 * Opens libcrypto and checks it against a known answer. With OpenSSL 3,
 * algorithms are fetched on first use from its built-in default provider:
 * `openssl.cnf` is not read (see {@link OPENSSL_INIT_NO_LOAD_CONFIG}).
 *
 * @param options `byName`: find algorithms with OpenSSL 1.1's getters even
 *   where fetching works (for the tests).
 * @returns The backend, or `undefined` when libcrypto cannot be loaded,
 *   lacks an algorithm it can tell at once, or fails the known answer (the
 *   caller then falls back to `node:crypto`).
 */
export function openLibcrypto(options: { byName?: boolean } = {}): CryptoBackend | undefined {
  const lib = load();
  if (lib === undefined) return undefined;
  const find = finder(lib, options.byName ?? false);
  const ctx = lib.EVP_CIPHER_CTX_new();
  if (find === undefined || ctx === null) return undefined;
  const md = algTable(MD_NAMES, find.md, find.lazy);
  const cipher = algTable(CIPHER_NAMES, find.cipher, find.lazy);
  if (md === undefined || cipher === undefined) return undefined;
  const digest = makeDigest(lib, md);
  const backend: CryptoBackend = {
    name: "libcrypto",
    digest,
    hmac: makeHmac(digest),
    bytesToKey: makeBytesToKey(lib, digest),
    aes: makeAes(lib, cipher, ctx),
  };
  return knownAnswer(backend) ? backend : undefined;
}

/**
 * The libcrypto backend of a long-running process, opened at its first
 * call: an idle daemon, which may wait days for its first packet, holds none
 * of it (1.2–1.6 MiB less resident in the idle daemon, measured; 5–7 MiB in a
 * bare script, most of which the daemon's other libraries share). The first
 * call pays about 3 ms once.
 *
 * @param open Opens the real backend (tests pass one that fails).
 * @returns The backend, or `undefined` when the process is one-shot (the
 *   client opens it at once, lazily bound) or libcrypto is missing or older
 *   than OpenSSL 3 (the caller opens it now, and can still fall back).
 * @throws {Error} from the first call, when libcrypto then fails to open or
 *   fails its known answer (a library that loaded and fetches; not seen).
 */
export function libcryptoOnFirstUse(
  open: () => CryptoBackend | undefined = openLibcrypto,
): CryptoBackend | undefined {
  // OpenSSL 3 (it fetches): its default provider has every algorithm the
  // seam uses, so what opening finds out at once can wait.
  if (isOneShot() || !exportsSymbol("crypto", "EVP_MD_fetch")) return undefined;
  let opened: CryptoBackend | undefined;
  const real = (): CryptoBackend => {
    opened ??= open() ?? fail("opening libcrypto (it loaded at start, but does not open now)");
    const { digest, hmac, bytesToKey, aes } = opened;
    Object.assign(backend, { digest, hmac, bytesToKey, aes });
    return opened;
  };
  const backend: CryptoBackend = {
    name: "libcrypto",
    digest: (alg, data, out) => real().digest(alg, data, out),
    hmac: (alg, key, data, out) => real().hmac(alg, key, data, out),
    bytesToKey: (pass, salt, out) => real().bytesToKey(pass, salt, out),
    aes: (mode, key, iv, decrypt, data, out) => real().aes(mode, key, iv, decrypt, data, out),
  };
  return backend;
}
