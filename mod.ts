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
/**
 * The SPA message layer (lib/spa/message.ts): fields, message types, the
 * plaintext libfko encrypts, and its strict parser. The examples live here
 * while that file is being reworked.
 *
 * @example Encode a message and parse it back (`EncodedMessage`, `ParseResult`, `SpaMessage`)
 * ```ts
 * import {
 *   DigestType,
 *   type EncodedMessage,
 *   encodeMessage,
 *   MessageType,
 *   parseMessage,
 *   type ParseResult,
 *   type SpaMessage,
 * } from "./mod.ts";
 *
 * const m: SpaMessage = {
 *   randomValue: "1234567890123456",
 *   username: "alice",
 *   timestamp: 1_800_000_000,
 *   version: "3.0.0",
 *   messageType: MessageType.ACCESS,
 *   message: "198.51.100.7,tcp/22",
 *   clientTimeout: 0,
 *   digestType: DigestType.SHA256,
 * };
 * const enc: EncodedMessage = encodeMessage(m);
 * const back: ParseResult = parseMessage(enc.plaintext);
 * if (!back.ok || back.message.username !== "alice") throw new Error("round trip failed");
 * // One changed character breaks the digest.
 * const bad = parseMessage(enc.plaintext.replace("1234567890123456", "1234567890123457"));
 * if (bad.ok || bad.reason !== "digest-mismatch") throw new Error("tampering accepted");
 * ```
 *
 * @example Message types: codes, labels and the client-timeout variants (`normalizeType`)
 * ```ts
 * import { MESSAGE_TYPE_LABELS, MessageType, normalizeType } from "./mod.ts";
 *
 * if (MESSAGE_TYPE_LABELS[MessageType.NAT_ACCESS] !== "NAT access msg") throw new Error();
 * // A timeout promotes ACCESS (1) to CLIENT_TIMEOUT_ACCESS (3); 0 demotes it back.
 * if (normalizeType(MessageType.ACCESS, 60) !== MessageType.CLIENT_TIMEOUT_ACCESS) throw new Error();
 * if (normalizeType(MessageType.CLIENT_TIMEOUT_ACCESS, 0) !== MessageType.ACCESS) throw new Error();
 * ```
 *
 * @example A field no server would accept throws `SpaFieldError`
 * ```ts
 * import { DigestType, encodeMessage, MessageType, SpaFieldError } from "./mod.ts";
 *
 * try {
 *   encodeMessage({
 *     randomValue: "1234567890123456",
 *     username: "alice",
 *     timestamp: 1_800_000_000,
 *     version: "3.0.0",
 *     messageType: MessageType.ACCESS,
 *     message: "not-an-address,tcp/22",
 *     clientTimeout: 0,
 *     digestType: DigestType.SHA256,
 *   });
 *   throw new Error("accepted");
 * } catch (e) {
 *   if (!(e instanceof SpaFieldError)) throw e;
 * }
 * ```
 */
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
