/**
 * The SPA plaintext ("encoded message", SPEC §2): building it from fields and
 * parsing it back with every rule libfko applies.
 *
 * @module
 */
import { b64DecodeLatin1, b64Encode, isCanonicalB64 } from "./base64.ts";
import { digestB64, type DigestInfo, digestMatches, DIGESTS, type DigestType } from "./digest.ts";
import {
  type AccessMessage,
  type AllowAddress,
  checkAccessMessage,
  checkCommandMessage,
  checkNatAccess,
  checkTimeoutText,
  checkUsername,
  type CommandMessage,
  MAX_DECODABLE_USERNAME_LEN,
  MAX_FIELD_B64_LEN,
  MAX_SERVER_AUTH_LEN,
  MAX_TIMESTAMP_LEN,
  MAX_USERNAME_B64_LEN,
  MAX_VERSION_LEN,
  type NatTarget,
  parseAccessMessage,
  parseCommandMessage,
  parseNatAccess,
  PROTOCOL_VERSION,
  RAND_VAL_LEN,
} from "./fields.ts";
import type { ProtoPort } from "../net/proto_port.ts";

/**
 * fwknop's message type codes.
 *
 * @example
 * ```ts
 * import { MessageType } from "./message.ts";
 * if (MessageType.NAT_ACCESS !== 2) throw new Error();
 * ```
 */
export const MessageType = {
  COMMAND: 0,
  ACCESS: 1,
  NAT_ACCESS: 2,
  CLIENT_TIMEOUT_ACCESS: 3,
  CLIENT_TIMEOUT_NAT_ACCESS: 4,
  LOCAL_NAT_ACCESS: 5,
  CLIENT_TIMEOUT_LOCAL_NAT_ACCESS: 6,
} as const;
/** One of the message type codes 0..6. */
export type MessageType = typeof MessageType[keyof typeof MessageType];

/**
 * The labels fwknop prints for each message type.
 *
 * @example
 * ```ts
 * import { MESSAGE_TYPE_LABELS, MessageType } from "./message.ts";
 * if (MESSAGE_TYPE_LABELS[MessageType.ACCESS] !== "Access msg") throw new Error();
 * ```
 */
export const MESSAGE_TYPE_LABELS: readonly string[] = [
  "Command msg",
  "Access msg",
  "NAT access msg",
  "Client timeout access msg",
  "Client timeout NAT access msg",
  "Local NAT access msg",
  "Client timeout local NAT access msg",
];

/** Shortest and longest encoded message / plaintext, in characters (upper bound exclusive). */
export const MIN_ENCODED_LEN = 36;
/** Longest encoded message / plaintext, exclusive. */
export const MAX_ENCODED_LEN = 1500;

/** Whether a type carries a NAT access field. */
export function hasNat(type: MessageType): boolean {
  return type === 2 || type === 4 || type === 5 || type === 6;
}

/** Whether a type carries a client timeout field. */
export function hasTimeout(type: MessageType): boolean {
  return type === 3 || type === 4 || type === 6;
}

/**
 * Promotes or demotes a type to match the client timeout as libfko does right
 * before encoding: a timeout above 0 selects the timeout variant, 0 the plain one.
 *
 * @param type The requested type.
 * @param timeout The client timeout in seconds.
 * @returns The type that goes on the wire.
 * @example
 * ```ts
 * import { MessageType, normalizeType } from "./message.ts";
 * const t = normalizeType(MessageType.ACCESS, 30);
 * if (t !== MessageType.CLIENT_TIMEOUT_ACCESS) throw new Error();
 * ```
 */
export function normalizeType(type: MessageType, timeout: number): MessageType {
  const promote: Record<number, MessageType> = { 1: 3, 2: 4, 5: 6 };
  const demote: Record<number, MessageType> = { 3: 1, 4: 2, 6: 5 };
  if (timeout > 0) return promote[type] ?? type;
  return demote[type] ?? type;
}

/**
 * The fields of an SPA message.
 *
 * @example
 * ```ts
 * import { DigestType } from "./digest.ts";
 * import { encodeMessage, MessageType, parseMessage, type SpaMessage } from "./message.ts";
 * const m: SpaMessage = {
 *   randomValue: "1234567890123456",
 *   username: "alice",
 *   timestamp: 1_700_000_000,
 *   version: "3.0.0",
 *   messageType: MessageType.ACCESS,
 *   message: "192.0.2.7,tcp/22",
 *   clientTimeout: 0,
 *   digestType: DigestType.SHA256,
 * };
 * if (encodeMessage(m).encoded.split(":").length !== 6) throw new Error();
 * ```
 */
export interface SpaMessage {
  /** 16 decimal digits. */
  randomValue: string;
  /** The user name (not encoded). */
  username: string;
  /** Unix seconds. */
  timestamp: number;
  /** Protocol version, `3.0.0` for fwknop 2.x. */
  version: string;
  /** Message type code. */
  messageType: MessageType;
  /** `IP,proto/port,...` or `IP,command`. */
  message: string;
  /** `host,port` for NAT types. */
  natAccess?: string;
  /** Server auth string (never set by the 2.6 client; parsed and ignored by servers). */
  serverAuth?: string;
  /** Client timeout in seconds; 0 when absent. */
  clientTimeout: number;
  /** Type of the inner digest. */
  digestType: DigestType;
}

/**
 * What a decoded message asks for, read once by the decoder so no later
 * step parses the message text again.
 */
export interface DecodedRequest {
  /** The address text as the client wrote it (for log lines). */
  allowText: string;
  /** The address to open, or `"source"` for `0.0.0.0` / `::`. */
  allow: AllowAddress;
  /** The requested ports; empty for a command message. */
  ports: readonly ProtoPort[];
  /** The command of a command message. */
  command?: string;
  /** The NAT target of NAT message types. */
  nat?: NatTarget;
  /** The client timeout in seconds; 0 when absent. */
  clientTimeout: number;
}

/** The fields of a decoded message, with what it asks for read once. */
export interface DecodedMessage extends SpaMessage {
  /** The typed request. */
  request: DecodedRequest;
}

/** A field-level failure: which field and why. */
export interface FieldFailure {
  /** The field name, as in the `-T -v` dump where one exists. */
  field: string;
  /** What is wrong with it. */
  detail: string;
}

/**
 * Thrown by the encoder for a field no server would accept.
 *
 * @example
 * ```ts
 * import { DigestType } from "./digest.ts";
 * import { encodeMessage, MessageType, SpaFieldError } from "./message.ts";
 * try {
 *   encodeMessage({
 *     randomValue: "42", // must be 16 digits
 *     username: "alice",
 *     timestamp: 1_700_000_000,
 *     version: "3.0.0",
 *     messageType: MessageType.ACCESS,
 *     message: "192.0.2.7,tcp/22",
 *     clientTimeout: 0,
 *     digestType: DigestType.SHA256,
 *   });
 *   throw new Error("accepted");
 * } catch (e) {
 *   if (!(e instanceof SpaFieldError) || e.field !== "Random Value") throw e;
 * }
 * ```
 */
export class SpaFieldError extends RangeError {
  /** The field at fault. */
  readonly field: string;
  /**
   * @param field The field at fault.
   * @param detail What is wrong.
   */
  constructor(field: string, detail: string) {
    super(`Cannot encode SPA ${field}: ${detail}`);
    this.name = "SpaFieldError";
    this.field = field;
  }
}

const ascii = new TextEncoder();

function b64Text(text: string): string {
  return b64Encode(ascii.encode(text));
}

/**
 * The encoded message with its digest.
 *
 * @example
 * ```ts
 * import { DigestType } from "./digest.ts";
 * import { encodeMessage, MessageType, parseMessage, type SpaMessage } from "./message.ts";
 * const m: SpaMessage = {
 *   randomValue: "1234567890123456",
 *   username: "alice",
 *   timestamp: 1_700_000_000,
 *   version: "3.0.0",
 *   messageType: MessageType.ACCESS,
 *   message: "192.0.2.7,tcp/22",
 *   clientTimeout: 0,
 *   digestType: DigestType.SHA256,
 * };
 * const { encoded, digest, plaintext } = encodeMessage(m);
 * if (plaintext !== `${encoded}:${digest}`) throw new Error();
 * ```
 */
export interface EncodedMessage {
  /** The fields joined by `:` (fwknop's "Encoded Data"). */
  encoded: string;
  /** The base64 digest over `encoded` (fwknop's "SPA Data Digest"). */
  digest: string;
  /** `encoded + ":" + digest`, the text that gets encrypted. */
  plaintext: string;
}

function fieldCheck(field: string, problem: string | undefined): void {
  if (problem !== undefined) throw new SpaFieldError(field, problem);
}

/**
 * Builds the SPA plaintext, refusing every field a fwknop 2.6 server would
 * refuse to decode.
 *
 * @param m The fields; the type is normalised against the client timeout.
 * @returns The encoded message, its digest and the plaintext.
 * @throws {SpaFieldError} when a field breaks a rule of SPEC §2.3 or §2.4.
 * @example
 * ```ts
 * import { DigestType } from "./digest.ts";
 * import { encodeMessage, MessageType, parseMessage, type SpaMessage } from "./message.ts";
 * const m: SpaMessage = {
 *   randomValue: "1234567890123456",
 *   username: "alice",
 *   timestamp: 1_700_000_000,
 *   version: "3.0.0",
 *   messageType: MessageType.ACCESS,
 *   message: "192.0.2.7,tcp/22",
 *   clientTimeout: 0,
 *   digestType: DigestType.SHA256,
 * };
 * const { plaintext } = encodeMessage(m);
 * // The fields are base64 where fwknop encodes them: the user name, the message.
 * if (!plaintext.startsWith("1234567890123456:YWxpY2U:1700000000:3.0.0:1:")) throw new Error();
 * ```
 */
export function encodeMessage(m: SpaMessage): EncodedMessage {
  const type = normalizeType(m.messageType, m.clientTimeout);
  fieldCheck("Random Value", /^\d{16}$/.test(m.randomValue) ? undefined : "must be 16 digits");
  fieldCheck("Username", checkUsername(m.username, MAX_DECODABLE_USERNAME_LEN));
  fieldCheck(
    "Timestamp",
    Number.isSafeInteger(m.timestamp) && m.timestamp >= 0 &&
      String(m.timestamp).length <= MAX_TIMESTAMP_LEN
      ? undefined
      : "must be a whole number of seconds, 0 or more",
  );
  fieldCheck(
    "FKO Version",
    m.version.length >= 1 && m.version.length <= MAX_VERSION_LEN && !m.version.includes(":")
      ? undefined
      : `must be 1 to ${MAX_VERSION_LEN} characters without ':'`,
  );
  fieldCheck(
    "Message String",
    type === MessageType.COMMAND ? checkCommandMessage(m.message) : checkAccessMessage(m.message),
  );
  const parts = [
    m.randomValue,
    b64Text(m.username),
    String(m.timestamp),
    m.version,
    String(type),
    b64Text(m.message),
  ];
  if (hasNat(type)) {
    if (m.natAccess === undefined) {
      throw new SpaFieldError("Nat Access", "is required for this type");
    }
    fieldCheck("Nat Access", checkNatAccess(m.natAccess));
    parts.push(b64Text(m.natAccess));
  } else if (m.natAccess !== undefined) {
    throw new SpaFieldError("Nat Access", `is not allowed for message type ${type}`);
  }
  if (m.serverAuth !== undefined) {
    fieldCheck(
      "Server Auth",
      m.serverAuth.length > 0 && m.serverAuth.length < MAX_SERVER_AUTH_LEN &&
        /^[\x20-\x7e]*$/.test(m.serverAuth)
        ? undefined
        : `must be 1 to ${MAX_SERVER_AUTH_LEN - 1} printable characters`,
    );
    parts.push(b64Text(m.serverAuth));
  }
  if (hasTimeout(type)) {
    fieldCheck("Client Timeout", checkTimeoutText(String(m.clientTimeout)));
    parts.push(String(m.clientTimeout));
  }
  const encoded = parts.join(":");
  const digest = digestB64(m.digestType, encoded);
  const plaintext = `${encoded}:${digest}`;
  if (plaintext.length >= MAX_ENCODED_LEN) {
    throw new SpaFieldError("Encoded Data", `is ${MAX_ENCODED_LEN} characters or longer`);
  }
  return { encoded, digest, plaintext };
}

/**
 * The outcome of parsing a plaintext.
 *
 * @example
 * ```ts
 * import { parseMessage, type ParseResult } from "./message.ts";
 * const r: ParseResult = parseMessage("too short");
 * if (r.ok || r.reason !== "bad-field") throw new Error();
 * ```
 */
export type ParseResult =
  | { ok: true; message: DecodedMessage; encoded: string; digest: string }
  | { ok: false; reason: "digest-mismatch" }
  | ({ ok: false; reason: "bad-field" } & FieldFailure);

/** A refusal of one field. */
type Bad = { ok: false; reason: "bad-field" } & FieldFailure;

function bad(field: string, detail: string): Bad {
  return { ok: false, reason: "bad-field", field, detail };
}

function decodeB64Field(text: string, max: number): string | undefined {
  if (text.length === 0 || text.length > max) return undefined;
  return b64DecodeLatin1(text);
}

/** Digest types by the length of their base64 form (SHA-256 and SHA3-256 share one). */
const DIGESTS_BY_B64_LENGTH: ReadonlyMap<number, readonly DigestInfo[]> = (() => {
  const m = new Map<number, DigestInfo[]>();
  for (const d of DIGESTS.values()) m.set(d.b64Length, [...(m.get(d.b64Length) ?? []), d]);
  return m;
})();

/** How many fields may follow the type field, by type (digest excluded). */
const MAX_FIELDS_AFTER_TYPE = [2, 2, 3, 3, 4, 3, 4];

/** The fields before the message string, checked. */
interface Header {
  rand: string;
  username: string;
  timestamp: number;
  version: string;
  type: MessageType;
}

/** Steps 1 to 5 of SPEC §2.5 after the digest: random value to message type. */
function parseHeader(parts: readonly string[]): Header | Bad {
  const [rand, userB64, ts, version, typeText] = parts as [string, string, string, string, string];
  if (rand.length < RAND_VAL_LEN) return bad("Random Value", "is shorter than 16 characters");
  const username = decodeB64Field(userB64, MAX_USERNAME_B64_LEN);
  if (username === undefined) return bad("Username", "is not base64 of 1 to 64 characters");
  // One name, one spelling: base64 with stray low bits or padding decodes to the same
  // bytes, and a name compared in a log or REQUIRE_USERNAME must not hide behind that.
  if (!isCanonicalB64(userB64)) {
    return bad("Username", "is not in canonical base64");
  }
  const userProblem = checkUsername(username);
  if (userProblem !== undefined) return bad("Username", userProblem);
  if (!/^\d+$/.test(ts) || ts.length > MAX_TIMESTAMP_LEN) {
    return bad("Timestamp", "is not 1 to 12 digits");
  }
  if (version.length < 1 || version.length > MAX_VERSION_LEN) {
    return bad("FKO Version", `is not 1 to ${MAX_VERSION_LEN} characters`);
  }
  if (!/^\d$/.test(typeText) || Number(typeText) > 6) {
    return bad("Message Type", `"${typeText}" is not 0..6`);
  }
  return { rand, username, timestamp: Number(ts), version, type: Number(typeText) as MessageType };
}

/** The message string, read once by its type. */
function parseBody(type: MessageType, text: string): AccessMessage | CommandMessage | Bad {
  const m = type === MessageType.COMMAND ? parseCommandMessage(text) : parseAccessMessage(text);
  return typeof m === "string" ? bad("Message String", m) : m;
}

/** The fields after the message string: NAT access, client timeout, server auth. */
interface Tail {
  natAccess?: string;
  nat?: NatTarget;
  clientTimeout: number;
  serverAuth?: string;
}

/** Steps after the message string of SPEC §2.5; `rest` holds the fields after it. */
function parseTail(type: MessageType, rest: string[]): Tail | Bad {
  const tail: Tail = { clientTimeout: 0 };
  if (hasNat(type)) {
    const natB64 = rest.shift();
    if (natB64 === undefined) return bad("Nat Access", "is missing");
    const natAccess = decodeB64Field(natB64, MAX_FIELD_B64_LEN);
    if (natAccess === undefined) return bad("Nat Access", "is not base64 of 1 to 256 characters");
    const nat = parseNatAccess(natAccess);
    if (typeof nat === "string") return bad("Nat Access", nat);
    tail.natAccess = natAccess;
    tail.nat = nat;
  }
  if (hasTimeout(type)) {
    const t = rest.pop();
    if (t === undefined) return bad("Client Timeout", "is missing");
    const tProblem = checkTimeoutText(t);
    if (tProblem !== undefined) return bad("Client Timeout", tProblem);
    tail.clientTimeout = Number(t);
  }
  if (rest.length > 0) {
    const serverAuth = decodeB64Field(rest[0]!, MAX_FIELD_B64_LEN);
    if (serverAuth === undefined) return bad("Server Auth", "is not base64 of 1 to 256 characters");
    tail.serverAuth = serverAuth;
  }
  return tail;
}

/** Assembles the decoded message from its checked parts. */
function decodedMessage(
  h: Header,
  text: string,
  body: AccessMessage | CommandMessage,
  tail: Tail,
  digestType: DigestType,
): DecodedMessage {
  // Built once, field by field (no spread copies on the receive path).
  const request: DecodedRequest = "command" in body
    ? {
      allowText: body.allowText,
      allow: body.allow,
      ports: [],
      command: body.command,
      clientTimeout: tail.clientTimeout,
    }
    : {
      allowText: body.allowText,
      allow: body.allow,
      ports: body.ports,
      clientTimeout: tail.clientTimeout,
    };
  if (tail.nat !== undefined) request.nat = tail.nat;
  const result: DecodedMessage = {
    randomValue: h.rand.slice(0, RAND_VAL_LEN),
    username: h.username,
    timestamp: h.timestamp,
    version: h.version,
    messageType: h.type,
    message: text,
    clientTimeout: tail.clientTimeout,
    digestType,
    request,
  };
  if (tail.natAccess !== undefined) result.natAccess = tail.natAccess;
  if (tail.serverAuth !== undefined) result.serverAuth = tail.serverAuth;
  return result;
}

/**
 * Parses and checks an SPA plaintext (`encoded:digest`) as libfko does
 * (SPEC §2.5), reading what it asks for once. Never throws.
 *
 * @param plaintext The decrypted text.
 * @returns The fields with the typed request, or the reason they are refused.
 * @example
 * ```ts
 * import { DigestType } from "./digest.ts";
 * import { encodeMessage, MessageType, parseMessage, type SpaMessage } from "./message.ts";
 * const m: SpaMessage = {
 *   randomValue: "1234567890123456",
 *   username: "alice",
 *   timestamp: 1_700_000_000,
 *   version: "3.0.0",
 *   messageType: MessageType.ACCESS,
 *   message: "192.0.2.7,tcp/22",
 *   clientTimeout: 0,
 *   digestType: DigestType.SHA256,
 * };
 * const r = parseMessage(encodeMessage(m).plaintext);
 * if (!r.ok) throw new Error(r.reason);
 * const [port] = r.message.request.ports;
 * if (r.message.request.allowText !== "192.0.2.7" || port?.port !== 22) throw new Error();
 * ```
 */
export function parseMessage(plaintext: string): ParseResult {
  return parsePlaintext(plaintext, undefined);
}

/**
 * `parseMessage` on the receive path, given the decrypted bytes as well as
 * their text: the digest is taken over the bytes, not over a copy made
 * from the text.
 *
 * @param plaintext The decrypted text (`wireText` of `bytes`).
 * @param bytes The decrypted bytes.
 * @returns The fields with the typed request, or the reason they are refused.
 */
export function parseDecrypted(plaintext: string, bytes: Uint8Array): ParseResult {
  return parsePlaintext(plaintext, bytes);
}

/** `parseMessage`, with the plaintext's bytes when the caller has them. */
function parsePlaintext(plaintext: string, bytes: Uint8Array | undefined): ParseResult {
  if (plaintext.length < MIN_ENCODED_LEN || plaintext.length >= MAX_ENCODED_LEN) {
    return bad("Encoded Data", `length ${plaintext.length} is outside ${MIN_ENCODED_LEN}..1499`);
  }
  if (!/^[\x20-\x7e]*$/.test(plaintext)) return bad("Encoded Data", "holds unprintable bytes");
  const last = plaintext.lastIndexOf(":");
  const encoded = plaintext.slice(0, last);
  const digest = plaintext.slice(last + 1);
  const parts = encoded.split(":");
  if (parts.length < 6) return bad("Encoded Data", "has fewer than 7 fields");

  const candidates = DIGESTS_BY_B64_LENGTH.get(digest.length);
  if (candidates === undefined) {
    return bad("SPA Data Digest", `length ${digest.length} fits no digest type`);
  }
  // Printable ASCII from here on: the text's indices are the bytes' indices.
  const digested = bytes === undefined ? encoded : bytes.subarray(0, last);
  const match = candidates.find((d) => digestMatches(d.code, digested, digest));
  if (match === undefined) return { ok: false, reason: "digest-mismatch" };

  const h = parseHeader(parts);
  if ("ok" in h) return h;
  const rest = parts.slice(6);
  if (rest.length + 1 > MAX_FIELDS_AFTER_TYPE[h.type]!) {
    return bad("Encoded Data", "has too many fields for its type");
  }
  for (const f of rest) if (f.length === 0) return bad("Encoded Data", "has an empty field");
  const text = decodeB64Field(parts[5]!, MAX_FIELD_B64_LEN);
  if (text === undefined) return bad("Message String", "is not base64 of 1 to 256 characters");
  const body = parseBody(h.type, text);
  if ("ok" in body) return body;
  const tail = parseTail(h.type, rest);
  if ("ok" in tail) return tail;
  const message = decodedMessage(h, text, body, tail, match.code);
  return { ok: true, message, encoded, digest };
}

export { PROTOCOL_VERSION };
