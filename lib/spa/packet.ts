/**
 * `encodeSpa()` and `decodeSpa()`: the whole SPA packet (message, digest,
 * Rijndael, HMAC, prefix strip and re-add) as fwknop 2.6 puts it on the wire.
 *
 * @module
 */
import { b64DecodeCanonical, b64Encode, base64CharsInto, isBase64Bytes } from "./base64.ts";
import { asciiInto, prefixViews, wireText } from "./text.ts";
import { digestInfo, DigestType, hmacB64, hmacMatches } from "./digest.ts";
import {
  type DecodedMessage,
  type EncodedMessage,
  encodeMessage,
  hasTimeout,
  normalizeType,
  parseDecrypted,
  type SpaMessage,
} from "./message.ts";
import { PROTOCOL_VERSION } from "./fields.ts";
import {
  BLOCK_LEN,
  EncryptionMode,
  HEADER_LEN,
  MAX_KEY_LEN,
  rijndaelDecrypt,
  rijndaelEncrypt,
} from "./rijndael.ts";

/**
 * `b64("Salted__")` without its last, partial character: stripped from every Rijndael wire.
 *
 * @example Every Rijndael packet drops this prefix on the wire
 * ```ts
 * import { encodeSpa, RIJNDAEL_PREFIX } from "./packet.ts";
 * import { MessageType } from "./message.ts";
 * const key = new TextEncoder().encode("fwknoptest");
 * const spa = encodeSpa({ key, message: "198.51.100.7,tcp/22", messageType: MessageType.ACCESS, username: "alice" });
 * if (spa.wire.startsWith(RIJNDAEL_PREFIX)) throw new Error("prefix left on");
 * ```
 */
export const RIJNDAEL_PREFIX = "U2FsdGVkX1";
/**
 * Packets this long or longer are classified as GnuPG by fwknop, so Rijndael ones must be shorter.
 *
 * @example Shorter payloads can only be Rijndael
 * ```ts
 * import { GPG_MIN_LEN } from "./packet.ts";
 * const payload = "8" + "A".repeat(199);
 * if (!(payload.length < GPG_MIN_LEN)) throw new Error();
 * ```
 */
export const GPG_MIN_LEN = 400;
/** Shortest encrypted string libfko accepts. */
export const MIN_WIRE_LEN = 36;
/** Longest wire string, exclusive. */
export const MAX_WIRE_LEN = 1500;
/** Longest HMAC key the client accepts. */
export const MAX_HMAC_KEY_LEN = 128;

/**
 * The keys and algorithms both ends must agree on (SPEC §3).
 *
 * @example One stanza's keys
 * ```ts
 * import { decodeSpa, type SpaKeys } from "./packet.ts";
 * import { DigestType } from "./digest.ts";
 * import { EncryptionMode } from "./rijndael.ts";
 * const keys: SpaKeys = {
 *   key: new TextEncoder().encode("fwknoptest"),
 *   hmacKey: new TextEncoder().encode("fwknophmactest"),
 *   hmacType: DigestType.SHA256,
 *   mode: EncryptionMode.CBC,
 * };
 * if (decodeSpa("garbage", keys).ok) throw new Error();
 * ```
 */
export interface SpaKeys {
  /** Rijndael passphrase bytes (1..32). */
  key: Uint8Array;
  /** HMAC key; no HMAC when absent. */
  hmacKey?: Uint8Array;
  /** HMAC digest type; default SHA-256. */
  hmacType?: DigestType;
  /** Encryption mode; default CBC. */
  mode?: EncryptionMode;
}

/**
 * What the encoder needs beyond the keys.
 *
 * @example A timed access request (type promoted to 3)
 * ```ts
 * import { encodeSpa, type SpaRequest } from "./packet.ts";
 * import { MessageType } from "./message.ts";
 * const req: SpaRequest = {
 *   key: new TextEncoder().encode("fwknoptest"),
 *   message: "198.51.100.7,tcp/22",
 *   messageType: MessageType.ACCESS,
 *   username: "alice",
 *   clientTimeout: 60,
 * };
 * if (encodeSpa(req).fields.messageType !== MessageType.CLIENT_TIMEOUT_ACCESS) throw new Error();
 * ```
 */
export interface SpaRequest extends SpaKeys {
  /** The access or command message, such as `1.2.3.4,tcp/22`. */
  message: string;
  /** The message type; the timeout variants are chosen from `clientTimeout`. */
  messageType: SpaMessage["messageType"];
  /** User name placed in the packet. */
  username: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** `host,port` for NAT types. */
  natAccess?: string;
  /** Server auth (fwknop's client never sets it). */
  serverAuth?: string;
  /** Client timeout in seconds; 0 or absent for none. */
  clientTimeout?: number;
  /** Inner digest type; default SHA-256. */
  digestType?: DigestType;
  /** Fixed random value (16 digits), for tests; random when absent. */
  randomValue?: string;
  /** Fixed 8-byte salt, for tests; random when absent. */
  salt?: Uint8Array;
}

/**
 * Everything the encoder produced, as fwknop's `-T -v` dump names it.
 *
 * @example The `-T -v` values of a packet
 * ```ts
 * import { type EncodedSpa, encodeSpa } from "./packet.ts";
 * import { MessageType } from "./message.ts";
 * const spa: EncodedSpa = encodeSpa({
 *   key: new TextEncoder().encode("fwknoptest"),
 *   hmacKey: new TextEncoder().encode("fwknophmactest"),
 *   message: "198.51.100.7,tcp/22",
 *   messageType: MessageType.ACCESS,
 *   username: "alice",
 * });
 * if (spa.hmac === undefined || !spa.wire.endsWith(spa.hmac)) throw new Error();
 * ```
 */
export interface EncodedSpa {
  /** The fields after type normalisation. */
  fields: SpaMessage;
  /** "Encoded Data". */
  encoded: string;
  /** "SPA Data Digest". */
  digest: string;
  /** "HMAC", or undefined without an HMAC key. */
  hmac?: string;
  /** "Final SPA Data": the exact payload to send. */
  wire: string;
}

/**
 * Why a packet was refused; hostile input always ends in one of these.
 *
 * @example Hostile input ends in a reason
 * ```ts
 * import { type DecodeFailure, decodeSpa } from "./packet.ts";
 * const r = decodeSpa("not a packet", { key: new TextEncoder().encode("k") });
 * if (r.ok) throw new Error();
 * const why: DecodeFailure = r;
 * if (why.reason !== "bad-length") throw new Error(why.reason);
 * ```
 */
export type DecodeFailure =
  | { reason: "bad-length"; detail: string }
  | { reason: "not-base64"; detail: string }
  | { reason: "encryption-type"; detail: string }
  | { reason: "hmac-mismatch"; detail: string }
  | { reason: "decrypt-failed"; detail: string }
  | { reason: "digest-mismatch"; detail: string }
  | { reason: "bad-field"; field: string; detail: string };

/**
 * A successfully decoded packet.
 *
 * @example Read the fields of an accepted packet
 * ```ts
 * import { type DecodedSpa, decodeSpa, encodeSpa } from "./packet.ts";
 * import { MessageType } from "./message.ts";
 * const key = new TextEncoder().encode("fwknoptest");
 * const wire = encodeSpa({ key, message: "198.51.100.7,tcp/22", messageType: MessageType.ACCESS, username: "alice" }).wire;
 * const r = decodeSpa(wire, { key });
 * if (!r.ok) throw new Error(r.reason);
 * const d: DecodedSpa = r;
 * if (d.fields.message !== "198.51.100.7,tcp/22") throw new Error();
 * ```
 */
export interface DecodedSpa {
  /** The parsed fields, with the typed request read once. */
  fields: DecodedMessage;
  /** "Encoded Data". */
  encoded: string;
  /** "SPA Data Digest". */
  digest: string;
  /** The HMAC that was verified, if any. */
  hmac?: string;
}

/**
 * The result of `decodeSpa`: never an exception.
 *
 * @example Branch on `ok`
 * ```ts
 * import { type DecodeResult, decodeSpa } from "./packet.ts";
 * const r: DecodeResult = decodeSpa("8".repeat(200), { key: new TextEncoder().encode("k") });
 * const line = r.ok ? `from ${r.fields.username}` : `refused: ${r.reason}`;
 * if (!line.startsWith("refused")) throw new Error(line);
 * ```
 */
export type DecodeResult = ({ ok: true } & DecodedSpa) | ({ ok: false } & DecodeFailure);

/**
 * Thrown by `encodeSpa` for keys or options no fwknop peer would accept.
 *
 * @example An HMAC key equal to the encryption key is refused
 * ```ts
 * import { encodeSpa, SpaKeyError } from "./packet.ts";
 * import { MessageType } from "./message.ts";
 * const key = new TextEncoder().encode("samekey");
 * try {
 *   encodeSpa({ key, hmacKey: key, message: "198.51.100.7,tcp/22", messageType: MessageType.ACCESS, username: "alice" });
 *   throw new Error("accepted");
 * } catch (e) {
 *   if (!(e instanceof SpaKeyError)) throw e;
 * }
 * ```
 */
export class SpaKeyError extends RangeError {
  /**
   * @param message What is wrong, stated for a person.
   */
  constructor(message: string) {
    super(message);
    this.name = "SpaKeyError";
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function checkKeys(keys: SpaKeys): void {
  if (keys.key.length < 1 || keys.key.length > MAX_KEY_LEN) {
    throw new SpaKeyError(
      `Cannot use the Rijndael key: it must be 1 to ${MAX_KEY_LEN} bytes, got ${keys.key.length}`,
    );
  }
  if (keys.hmacKey === undefined) return;
  if (keys.hmacKey.length < 1 || keys.hmacKey.length > MAX_HMAC_KEY_LEN) {
    throw new SpaKeyError(
      `Cannot use the HMAC key: it must be 1 to ${MAX_HMAC_KEY_LEN} bytes, got ${keys.hmacKey.length}`,
    );
  }
  if (keys.mode === EncryptionMode.LEGACY) {
    throw new SpaKeyError("Cannot use HMAC with legacy encryption mode: fwknop peers refuse it");
  }
  if (sameBytes(keys.key, keys.hmacKey)) {
    throw new SpaKeyError(
      "Cannot use the same key for encryption and HMAC: fwknop peers refuse it",
    );
  }
}

/** The message part of a request: fields, defaults, encoding and the normalised fields. */
export type MessageRequest = Omit<SpaRequest, keyof SpaKeys | "salt">;

/**
 * Fills in the defaults of a request (random value, time, digest type) and
 * builds its plaintext; shared by the Rijndael and GnuPG encoders.
 *
 * @throws {SpaFieldError} for a field a server would refuse.
 */
export function buildMessage(req: MessageRequest): EncodedMessage & { normalised: SpaMessage } {
  const fields: SpaMessage = {
    randomValue: req.randomValue ?? randomValue(),
    username: req.username,
    timestamp: req.timestamp ?? Math.floor(Date.now() / 1000),
    version: PROTOCOL_VERSION,
    messageType: req.messageType,
    message: req.message,
    clientTimeout: req.clientTimeout ?? 0,
    digestType: req.digestType ?? DigestType.SHA256,
  };
  if (req.natAccess !== undefined) fields.natAccess = req.natAccess;
  if (req.serverAuth !== undefined) fields.serverAuth = req.serverAuth;
  const m = encodeMessage(fields);
  // What goes on the wire: the type follows the timeout, which only timeout types carry.
  const type = normalizeType(fields.messageType, fields.clientTimeout);
  const normalised = {
    ...fields,
    messageType: type,
    clientTimeout: hasTimeout(type) ? fields.clientTimeout : 0,
  };
  return { ...m, normalised };
}

/**
 * Makes fwknop's 16-digit random value from the platform CSPRNG.
 *
 * @example 16 decimal digits
 * ```ts
 * import { randomValue } from "./packet.ts";
 * if (!/^\d{16}$/.test(randomValue())) throw new Error();
 * ```
 */
export function randomValue(): string {
  const digits = crypto.getRandomValues(new Uint8Array(32));
  let out = "";
  for (const d of digits) {
    if (d < 250) out += String(d % 10); // rejection sampling keeps digits uniform
    if (out.length === 16) return out;
  }
  return out + randomValue().slice(out.length);
}

/**
 * Builds an SPA packet exactly as the fwknop 2.6 client does.
 *
 * @param req The message, its fields and the keys.
 * @returns The packet and every intermediate value of fwknop's `-T -v` dump.
 * @throws {SpaFieldError} when a field would be refused by a fwknop server.
 * @throws {SpaKeyError} when the keys are unusable or the packet would reach
 *   400 characters (fwknop would take it for GnuPG and drop it).
 *
 * @example
 * ```ts
 * import { decodeSpa, encodeSpa } from "./packet.ts";
 * import { MessageType } from "./message.ts";
 * const key = new TextEncoder().encode("fwknoptest");
 * const hmacKey = new TextEncoder().encode("fwknophmactest");
 * const spa = encodeSpa({
 *   message: "1.2.3.4,tcp/22",
 *   messageType: MessageType.ACCESS,
 *   username: "alice",
 *   key,
 *   hmacKey,
 * });
 * const back = decodeSpa(spa.wire, { key, hmacKey });
 * if (!back.ok || back.fields.message !== "1.2.3.4,tcp/22") throw new Error("round trip failed");
 * ```
 */
export function encodeSpa(req: SpaRequest): EncodedSpa {
  checkKeys(req);
  const mode = req.mode ?? EncryptionMode.CBC;
  const { normalised, encoded, digest, plaintext } = buildMessage(req);
  const full = b64Encode(
    rijndaelEncrypt(
      new TextEncoder().encode(plaintext),
      req.key,
      mode,
      req.salt,
    ),
  );
  let wire = full.slice(RIJNDAEL_PREFIX.length);
  let hmac: string | undefined;
  if (req.hmacKey !== undefined) {
    hmac = hmacB64(req.hmacType ?? DigestType.SHA256, req.hmacKey, full);
    wire += hmac;
  }
  if (wire.length >= GPG_MIN_LEN) {
    throw new SpaKeyError(
      `Cannot build the SPA packet: it would be ${wire.length} characters, and fwknop treats ` +
        `${GPG_MIN_LEN} or more as GnuPG and drops it; request fewer ports or a shorter message`,
    );
  }
  const out: EncodedSpa = { fields: normalised, encoded, digest, wire };
  if (hmac !== undefined) out.hmac = hmac;
  return out;
}

/** Reused buffers of the receive path: the wire as ASCII, the ciphertext, the plaintext. */
const WIRE = new Uint8Array(MAX_WIRE_LEN + RIJNDAEL_PREFIX.length);
asciiInto(RIJNDAEL_PREFIX, WIRE); // the prefix stays; each wire is written behind it
const FRAMED = new Uint8Array(MAX_WIRE_LEN);
const wireView = prefixViews(WIRE);
const framedView = prefixViews(FRAMED);
const PLAIN = new Uint8Array(MAX_WIRE_LEN + BLOCK_LEN);
/** Length of the prefix kept at the start of `WIRE`. */
const P = RIJNDAEL_PREFIX.length;

/** Rijndael plaintexts start with the 16-digit random value and a colon. */
const RAND_PREFIX = /^\d{16}:/;

/** A refusal, as `decodeSpa` returns it. */
type Refusal = { ok: false } & DecodeFailure;

const notBase64 = (): Refusal => ({
  ok: false,
  reason: "not-base64",
  detail: "holds non-base64 characters",
});
const notRijndael = (): Refusal => ({
  ok: false,
  reason: "encryption-type",
  detail: "long enough to be GnuPG, not Rijndael",
});

/**
 * Decodes and authenticates an SPA packet for one set of keys, the way a
 * fwknopd access stanza does: HMAC first (over the ciphertext with its
 * prefix re-added), then decryption, then every field rule.
 *
 * @remarks Never throws on hostile input. Stricter than libfko in one way:
 * non-canonical base64 (a character with stray low bits) is refused, so a
 * packet has exactly one wire form and cannot slip past a replay cache.
 *
 * @param wire The payload as received: text, or its bytes.
 * @param keys The stanza's keys, HMAC type and encryption mode.
 * @returns The fields, or the reason the packet was refused.
 *
 * @example
 * ```ts
 * import { decodeSpa } from "./packet.ts";
 * const r = decodeSpa("not a packet", { key: new TextEncoder().encode("k") });
 * if (r.ok || r.reason !== "bad-length") throw new Error();
 * ```
 */
export function decodeSpa(wire: string | Uint8Array, keys: SpaKeys): DecodeResult {
  return loadWire(wire, true) ?? decodeLoaded(wire.length, keys);
}

/**
 * `decodeSpa` for SPA data that passed `screenPacket` (lib/policy/screen.ts),
 * whose bytes are all base64 characters or `=`: the same answer, without a
 * second pass over the alphabet.
 *
 * @param data The screened SPA data.
 * @param keys The stanza's keys, HMAC type and encryption mode.
 * @returns The fields, or the reason the packet was refused.
 */
export function decodeScreened(data: Uint8Array, keys: SpaKeys): DecodeResult {
  return loadWire(data, false) ?? decodeLoaded(data.length, keys);
}

/**
 * Writes the wire behind the prefix in `WIRE`: the HMAC covers the prefixed
 * body and base64 decoding reads the same bytes.
 *
 * @returns A refusal, or `undefined` when the wire is in place.
 */
function loadWire(wire: string | Uint8Array, checkAlphabet: boolean): Refusal | undefined {
  if (wire.length < MIN_WIRE_LEN || wire.length >= MAX_WIRE_LEN) {
    return { ok: false, reason: "bad-length", detail: `length ${wire.length} is outside 36..1499` };
  }
  if (typeof wire === "string") {
    // One pass copies the wire behind the prefix and checks its alphabet.
    if (base64CharsInto(wire, WIRE, P) < 0) return notBase64();
  } else {
    if (checkAlphabet && !isBase64Bytes(wire)) return notBase64();
    WIRE.set(wire, P);
  }
  let prefixed = true;
  for (let i = 0; i < P && prefixed; i++) prefixed = WIRE[P + i] === WIRE[i];
  if (prefixed) {
    return { ok: false, reason: "not-base64", detail: "starts with the prefix a client strips" };
  }
  return undefined;
}

/** The HMAC check on the loaded wire: the body's length and the HMAC's characters, or a refusal. */
function checkHmac(
  len: number,
  keys: SpaKeys,
): { bodyLen: number; mac?: Uint8Array } | Refusal {
  if (keys.hmacKey === undefined) {
    return len >= GPG_MIN_LEN ? notRijndael() : { bodyLen: len };
  }
  const type = keys.hmacType ?? DigestType.SHA256;
  const macLen = digestInfo(type).b64Length;
  if (len - macLen < MIN_WIRE_LEN) {
    return { ok: false, reason: "bad-length", detail: "too short to carry an HMAC" };
  }
  const bodyLen = len - macLen;
  const mac = WIRE.subarray(P + bodyLen, P + len);
  if (!hmacMatches(type, keys.hmacKey, wireView(P + bodyLen), mac)) {
    return { ok: false, reason: "hmac-mismatch", detail: "HMAC does not match" };
  }
  return P + bodyLen >= GPG_MIN_LEN ? notRijndael() : { bodyLen, mac };
}

/** HMAC, decryption and the message rules over the wire `loadWire` put in place. */
function decodeLoaded(len: number, keys: SpaKeys): DecodeResult {
  const h = checkHmac(len, keys);
  if ("ok" in h) return h;
  const framedLen = b64DecodeCanonical(wireView(P + h.bodyLen), FRAMED);
  if (framedLen < 0) {
    return { ok: false, reason: "not-base64", detail: "is not canonical base64" };
  }
  if (framedLen % BLOCK_LEN !== 0 || framedLen <= HEADER_LEN) {
    return { ok: false, reason: "decrypt-failed", detail: "ciphertext length is invalid" };
  }
  const pt = rijndaelDecrypt(
    framedView(framedLen),
    keys.key,
    keys.mode ?? EncryptionMode.CBC,
    PLAIN,
  );
  if (pt === undefined || pt.length === 0 || pt.length < framedLen - 32) {
    return { ok: false, reason: "decrypt-failed", detail: "ciphertext length is invalid" };
  }
  const text = wireText(pt);
  if (!RAND_PREFIX.test(text)) {
    return { ok: false, reason: "decrypt-failed", detail: "wrong key or mode" };
  }
  const parsed = parseDecrypted(text, pt);
  if (!parsed.ok) {
    return parsed.reason === "digest-mismatch"
      ? { ok: false, reason: "digest-mismatch", detail: "SPA digest does not match" }
      : parsed;
  }
  const out: DecodeResult = {
    ok: true,
    fields: parsed.message,
    encoded: parsed.encoded,
    digest: parsed.digest,
  };
  if (h.mac !== undefined) out.hmac = wireText(h.mac); // base64 characters: ASCII
  return out;
}
