/**
 * Rijndael as libfko does it: AES-256 with OpenSSL's `Salted__` framing,
 * `EVP_BytesToKey(MD5, 1 round)` key derivation, PKCS#7 padding in every mode
 * and fwknop's `legacy` passphrase padding.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHash } from "node:crypto";

/** fwknop's encryption mode codes (`-M`, `ENCRYPTION_MODE`). */
export const EncryptionMode = {
  ECB: 1,
  CBC: 2,
  CFB: 3,
  OFB: 5,
  CTR: 6,
  ASYMMETRIC: 7,
  LEGACY: 8,
} as const;
/** One of fwknop's encryption mode codes. */
export type EncryptionMode = typeof EncryptionMode[keyof typeof EncryptionMode];

/** The names fwknop prints for each mode in `-T -v` dumps. */
export const MODE_LABELS: ReadonlyMap<EncryptionMode, string> = new Map([
  [EncryptionMode.ECB, "ECB"],
  [EncryptionMode.CBC, "CBC"],
  [EncryptionMode.CFB, "CFB"],
  [EncryptionMode.OFB, "OFB"],
  [EncryptionMode.CTR, "CTR"],
  [EncryptionMode.ASYMMETRIC, "Asymmetric"],
  [EncryptionMode.LEGACY, "legacy"],
]);

/**
 * Parses an encryption mode name as fwknop does (case-insensitive). PCBC is
 * refused, as fwknop refuses it.
 *
 * @param name The name from a command line or config file.
 * @returns The mode code, or `undefined` when the name is unknown.
 */
export function parseModeName(name: string): EncryptionMode | undefined {
  const wanted = name.trim().toLowerCase();
  for (const [code, label] of MODE_LABELS) if (label.toLowerCase() === wanted) return code;
  return undefined;
}

/** The 8 bytes `Salted__` that open every OpenSSL-style ciphertext. */
export const SALTED_MAGIC: Uint8Array = new TextEncoder().encode("Salted__");
/** Salt length in bytes. */
export const SALT_LEN = 8;
/** AES block length in bytes. */
export const BLOCK_LEN = 16;
/** Length of the `Salted__` + salt header. */
export const HEADER_LEN = SALTED_MAGIC.length + SALT_LEN;
/** Longest Rijndael key fwknop accepts, in bytes. */
export const MAX_KEY_LEN = 32;
/** Key length that `legacy` mode pads to and truncates at. */
export const LEGACY_KEY_LEN = 16;

/**
 * Applies fwknop's `legacy` rule: keys shorter than 16 bytes are padded with
 * ASCII `'0'`, longer ones are cut to 16 bytes.
 *
 * @param key The passphrase bytes.
 * @returns The effective passphrase.
 */
export function legacyKey(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(LEGACY_KEY_LEN).fill(0x30);
  out.set(key.subarray(0, LEGACY_KEY_LEN));
  return out;
}

/**
 * OpenSSL `EVP_BytesToKey` with MD5 and one round, producing the AES-256 key
 * and the IV.
 *
 * @param pass The passphrase bytes.
 * @param salt The 8 salt bytes.
 * @returns The 32-byte key and the 16-byte IV.
 */
export function deriveKeyIv(
  pass: Uint8Array,
  salt: Uint8Array,
): { key: Uint8Array; iv: Uint8Array } {
  const out = new Uint8Array(48);
  let prev = new Uint8Array(0);
  for (let off = 0; off < 48; off += 16) {
    prev = new Uint8Array(createHash("md5").update(prev).update(pass).update(salt).digest());
    out.set(prev, off);
  }
  return { key: out.subarray(0, 32), iv: out.subarray(32, 48) };
}

function pkcs7Pad(data: Uint8Array): Uint8Array {
  const pad = BLOCK_LEN - (data.length % BLOCK_LEN);
  const out = new Uint8Array(data.length + pad);
  out.set(data);
  out.fill(pad, data.length);
  return out;
}

/** libfko's lenient unpadding: strip only a well-formed PKCS#7 tail. */
function lenientUnpad(data: Uint8Array): Uint8Array {
  const v = data[data.length - 1];
  if (v === undefined || v > BLOCK_LEN || v > data.length) return data;
  for (let i = data.length - v; i < data.length; i++) if (data[i] !== v) return data;
  return data.subarray(0, data.length - v);
}

function nativeCipher(
  mode: EncryptionMode,
  key: Uint8Array,
  iv: Uint8Array,
  decrypt: boolean,
): (data: Uint8Array) => Uint8Array {
  const name = mode === EncryptionMode.ECB
    ? "aes-256-ecb"
    : mode === EncryptionMode.CTR
    ? "aes-256-ctr"
    : "aes-256-cbc";
  const c = decrypt
    ? createDecipheriv(name, key, mode === EncryptionMode.ECB ? null : iv)
    : createCipheriv(name, key, mode === EncryptionMode.ECB ? null : iv);
  c.setAutoPadding(false);
  return (data) => {
    const a = c.update(data);
    const b = c.final();
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
}

/** CFB-128 and OFB built on single-block AES (not every runtime ships them). */
function feedbackCipher(
  mode: EncryptionMode,
  key: Uint8Array,
  iv: Uint8Array,
  decrypt: boolean,
): (data: Uint8Array) => Uint8Array {
  const block = createCipheriv("aes-256-ecb", key, null);
  block.setAutoPadding(false);
  return (data) => {
    const out = new Uint8Array(data.length);
    let feed: Uint8Array = iv.slice();
    for (let off = 0; off < data.length; off += BLOCK_LEN) {
      const ks = new Uint8Array(block.update(feed));
      const end = Math.min(off + BLOCK_LEN, data.length);
      for (let i = off; i < end; i++) out[i] = data[i]! ^ ks[i - off]!;
      if (mode === EncryptionMode.OFB) feed = ks;
      else feed = (decrypt ? data : out).slice(off, off + BLOCK_LEN);
    }
    return out;
  };
}

function cipherFor(
  mode: EncryptionMode,
  key: Uint8Array,
  iv: Uint8Array,
  decrypt: boolean,
): (data: Uint8Array) => Uint8Array {
  switch (mode) {
    case EncryptionMode.CFB:
    case EncryptionMode.OFB:
      return feedbackCipher(mode, key, iv, decrypt);
    case EncryptionMode.ECB:
    case EncryptionMode.CBC:
    case EncryptionMode.CTR:
    case EncryptionMode.LEGACY:
      return nativeCipher(mode, key, iv, decrypt);
    default:
      throw new RangeError(`Cannot use encryption mode ${mode} for Rijndael`);
  }
}

/**
 * Encrypts a plaintext into `Salted__ || salt || ciphertext`.
 *
 * @param plaintext The bytes to encrypt.
 * @param pass The passphrase (1..32 bytes).
 * @param mode The encryption mode.
 * @param salt The 8-byte salt; random when omitted.
 * @returns The framed ciphertext.
 * @throws {RangeError} when the passphrase or salt has a bad length, or the mode is not symmetric.
 */
export function rijndaelEncrypt(
  plaintext: Uint8Array,
  pass: Uint8Array,
  mode: EncryptionMode,
  salt: Uint8Array = crypto.getRandomValues(new Uint8Array(SALT_LEN)),
): Uint8Array {
  if (pass.length < 1 || pass.length > MAX_KEY_LEN) {
    throw new RangeError(
      `Cannot encrypt: key must be 1 to ${MAX_KEY_LEN} bytes, got ${pass.length}`,
    );
  }
  if (salt.length !== SALT_LEN) {
    throw new RangeError(`Cannot encrypt: salt must be ${SALT_LEN} bytes`);
  }
  const effective = mode === EncryptionMode.LEGACY ? legacyKey(pass) : pass;
  const { key, iv } = deriveKeyIv(effective, salt);
  const body = cipherFor(mode, key, iv, false)(pkcs7Pad(plaintext));
  const out = new Uint8Array(HEADER_LEN + body.length);
  out.set(SALTED_MAGIC);
  out.set(salt, SALTED_MAGIC.length);
  out.set(body, HEADER_LEN);
  return out;
}

/**
 * Decrypts `Salted__ || salt || ciphertext` as libfko does: the total length
 * must be a whole number of blocks, and unpadding is lenient. Unlike libfko
 * the `Salted__` magic is checked: on the wire its last bits share a base64
 * character with the salt, and leaving them unchecked would let one packet be
 * re-sent under a different wire form past a replay cache.
 *
 * @param framed The framed ciphertext.
 * @param pass The passphrase (1..32 bytes).
 * @param mode The encryption mode.
 * @returns The plaintext, or `undefined` when the input cannot be a ciphertext.
 */
export function rijndaelDecrypt(
  framed: Uint8Array,
  pass: Uint8Array,
  mode: EncryptionMode,
): Uint8Array | undefined {
  if (framed.length <= HEADER_LEN || framed.length % BLOCK_LEN !== 0) return undefined;
  if (pass.length < 1 || pass.length > MAX_KEY_LEN) return undefined;
  if (!MODE_LABELS.has(mode) || mode === EncryptionMode.ASYMMETRIC) return undefined;
  if (SALTED_MAGIC.some((v, i) => framed[i] !== v)) return undefined;
  const effective = mode === EncryptionMode.LEGACY ? legacyKey(pass) : pass;
  const { key, iv } = deriveKeyIv(effective, framed.subarray(SALTED_MAGIC.length, HEADER_LEN));
  return lenientUnpad(cipherFor(mode, key, iv, true)(framed.subarray(HEADER_LEN)));
}
