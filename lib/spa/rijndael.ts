/**
 * Rijndael as libfko does it: AES-256 with OpenSSL's `Salted__` framing,
 * `EVP_BytesToKey(MD5, 1 round)` key derivation, PKCS#7 padding in every mode
 * and fwknop's `legacy` passphrase padding.
 *
 * @module
 */
import { type AesMode, backend } from "./crypto.ts";

/**
 * fwknop's encryption mode codes (`-M`, `ENCRYPTION_MODE`).
 *
 * @example Encrypt in CTR mode (`-M ctr`)
 * ```ts
 * import { EncryptionMode } from "./rijndael.ts";
 * import { decodeSpa, encodeSpa } from "./packet.ts";
 * import { MessageType } from "./message.ts";
 * const keys = { key: new TextEncoder().encode("fwknoptest"), mode: EncryptionMode.CTR };
 * const spa = encodeSpa({ ...keys, message: "198.51.100.7,tcp/22", messageType: MessageType.ACCESS, username: "alice" });
 * if (!decodeSpa(spa.wire, keys).ok) throw new Error();
 * ```
 */
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

/**
 * The names fwknop prints for each mode in `-T -v` dumps.
 *
 * @example Print a mode as `-T -v` does
 * ```ts
 * import { EncryptionMode, MODE_LABELS } from "./rijndael.ts";
 * if (MODE_LABELS.get(EncryptionMode.CBC) !== "CBC") throw new Error();
 * ```
 */
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
 *
 * @example Parse `ENCRYPTION_MODE`
 * ```ts
 * import { EncryptionMode, parseModeName } from "./rijndael.ts";
 * if (parseModeName("cbc") !== EncryptionMode.CBC) throw new Error();
 * if (parseModeName("PCBC") !== undefined) throw new Error("PCBC accepted");
 * ```
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
  backend.bytesToKey(pass, salt, out);
  return { key: out.subarray(0, 32), iv: out.subarray(32, 48) };
}

/** The receive path's key and IV, wiped after each use. */
const KEY_IV = new Uint8Array(48);
const AES_KEY = KEY_IV.subarray(0, 32);
const AES_IV = KEY_IV.subarray(32, 48);
/** The receive path's salt, copied out of the frame. */
const SALT = new Uint8Array(HEADER_LEN - SALTED_MAGIC.length);

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

const AES_MODES: ReadonlyMap<EncryptionMode, AesMode> = new Map([
  [EncryptionMode.ECB, "ecb"],
  [EncryptionMode.CBC, "cbc"],
  [EncryptionMode.CFB, "cfb"],
  [EncryptionMode.OFB, "ofb"],
  [EncryptionMode.CTR, "ctr"],
  [EncryptionMode.LEGACY, "cbc"],
]);

function aesMode(mode: EncryptionMode): AesMode {
  const m = AES_MODES.get(mode);
  if (m === undefined) throw new RangeError(`Cannot use encryption mode ${mode} for Rijndael`);
  return m;
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
  const padded = pkcs7Pad(plaintext);
  const out = new Uint8Array(HEADER_LEN + padded.length + BLOCK_LEN);
  out.set(SALTED_MAGIC);
  out.set(salt, SALTED_MAGIC.length);
  const n = backend.aes(aesMode(mode), key, iv, false, padded, out.subarray(HEADER_LEN));
  return out.subarray(0, HEADER_LEN + n);
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
 * @param out Where to write the plaintext (at least `framed.length` bytes);
 *   a new array when omitted. The result is a view into it.
 * @returns The plaintext, or `undefined` when the input cannot be a ciphertext.
 */
export function rijndaelDecrypt(
  framed: Uint8Array,
  pass: Uint8Array,
  mode: EncryptionMode,
  out: Uint8Array = new Uint8Array(framed.length),
): Uint8Array | undefined {
  if (framed.length <= HEADER_LEN || framed.length % BLOCK_LEN !== 0) return undefined;
  if (pass.length < 1 || pass.length > MAX_KEY_LEN) return undefined;
  if (!MODE_LABELS.has(mode) || mode === EncryptionMode.ASYMMETRIC) return undefined;
  for (let i = 0; i < SALTED_MAGIC.length; i++) if (framed[i] !== SALTED_MAGIC[i]) return undefined;
  if (out.length < framed.length) throw new RangeError("rijndaelDecrypt: output buffer too small");
  const effective = mode === EncryptionMode.LEGACY ? legacyKey(pass) : pass;
  for (let i = 0; i < SALT.length; i++) SALT[i] = framed[SALTED_MAGIC.length + i]!;
  backend.bytesToKey(effective, SALT, KEY_IV);
  try {
    const n = backend.aes(
      aesMode(mode),
      AES_KEY,
      AES_IV,
      true,
      framed.subarray(HEADER_LEN),
      out,
    );
    return lenientUnpad(out.subarray(0, n));
  } finally {
    KEY_IV.fill(0);
  }
}
