/**
 * fwknop-ts: Single Packet Authorization wire-compatible with fwknop 2.6.
 *
 * This module is the library surface: build and check SPA packets exactly as
 * fwknop's libfko does (Rijndael with HMAC, every digest type and encryption
 * mode, every message type), and generate keys in `fwknop --key-gen` form.
 * The decoder never throws on hostile input; it returns a reason.
 *
 * @example Build a packet and decode it as a server stanza would
 * ```ts
 * import { decodeSpa, DigestType, encodeSpa, MessageType } from "./mod.ts";
 *
 * const key = new TextEncoder().encode("fwknoptest");
 * const hmacKey = new TextEncoder().encode("fwknophmactest");
 * const spa = encodeSpa({
 *   message: "198.51.100.7,tcp/22",
 *   messageType: MessageType.ACCESS,
 *   username: "alice",
 *   key,
 *   hmacKey,
 *   hmacType: DigestType.SHA256,
 * });
 * // spa.wire is the UDP payload a stock fwknopd accepts.
 * const r = decodeSpa(spa.wire, { key, hmacKey });
 * if (!r.ok) throw new Error(`refused: ${r.reason}`);
 * if (r.fields.username !== "alice") throw new Error("wrong user");
 * ```
 *
 * @module
 */
export { b64Decode, b64Encode, b64EncodePadded, isBase64Charset } from "./lib/spa/base64.ts";
export {
  constantTimeEqual,
  digestB64,
  type DigestInfo,
  digestInfo,
  DIGESTS,
  DigestType,
  hmacB64,
  parseDigestName,
} from "./lib/spa/digest.ts";
export {
  DEFAULT_HMAC_KEY_LEN,
  formatKeys,
  type GeneratedKeys,
  generateKeys,
  type KeyGenOptions,
} from "./lib/spa/keygen.ts";
export {
  type EncodedMessage,
  encodeMessage,
  MESSAGE_TYPE_LABELS,
  MessageType,
  normalizeType,
  parseMessage,
  type ParseResult,
  SpaFieldError,
  type SpaMessage,
} from "./lib/spa/message.ts";
export {
  type DecodedSpa,
  type DecodeFailure,
  type DecodeResult,
  decodeSpa,
  type EncodedSpa,
  encodeSpa,
  GPG_MIN_LEN,
  randomValue,
  RIJNDAEL_PREFIX,
  SpaKeyError,
  type SpaKeys,
  type SpaRequest,
} from "./lib/spa/packet.ts";
export { EncryptionMode, MODE_LABELS, parseModeName } from "./lib/spa/rijndael.ts";
