/**
 * Field rules of the SPA message (SPEC §2.3), shared by the encoder and the
 * decoder. Each validator returns `undefined` when the value is good, or a
 * short reason when it is not.
 *
 * @module
 */
import type { IpAddr } from "../net/addr.ts";
import { checkIPv4, checkMessageIp, parseMessageIp } from "../net/ip_text.ts";
import {
  parsePort,
  parseProtoPort,
  parseProtoPortList,
  type ProtoPort,
} from "../net/proto_port.ts";

export { checkIPv4, checkMessageIp };

/** Length of the random value field. */
export const RAND_VAL_LEN = 16;
/** Longest username the decoder accepts (64 base64 characters decode to 48 bytes). */
export const MAX_DECODABLE_USERNAME_LEN = 48;
/** Longest username libfko encodes. */
export const MAX_USERNAME_LEN = 63;
/** Longest base64 username field the decoder accepts. */
export const MAX_USERNAME_B64_LEN = 64;
/** Longest timestamp field. */
export const MAX_TIMESTAMP_LEN = 12;
/** Longest version field. */
export const MAX_VERSION_LEN = 8;
/** Longest message string (access or command) the encoder accepts, exclusive. */
export const MAX_MESSAGE_LEN = 256;
/** Longest base64 message, NAT access or server-auth field the decoder accepts. */
export const MAX_FIELD_B64_LEN = 256;
/** Longest NAT access string the encoder accepts, exclusive. */
export const MAX_NAT_ACCESS_LEN = 128;
/** Longest server-auth string the encoder accepts, exclusive. */
export const MAX_SERVER_AUTH_LEN = 64;
/** Longest NAT host name. */
export const MAX_NAT_HOST_LEN = 70;
/** Largest client timeout a server decodes. */
export const MAX_CLIENT_TIMEOUT = 65536;
/** The protocol version every 2.x client writes. */
export const PROTOCOL_VERSION = "3.0.0";

/** Printable ASCII a username may hold: all but `" / \ [ ] : ; | = , + * ? < >`. */
const USER_CHAR_OK: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0x20; c <= 0x7e; c++) t[c] = 1;
  for (const ch of '"/\\[]:;|=,+*?<>') t[ch.charCodeAt(0)] = 0;
  return t;
})();

/**
 * Checks a username with libfko's character rule: printable ASCII except
 * `" / \ [ ] : ; | = , + * ? < >`.
 *
 * @param name The username.
 * @param maxLen The longest name allowed.
 * @returns `undefined` when good, else the reason.
 */
export function checkUsername(name: string, maxLen: number = MAX_USERNAME_LEN): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.length > maxLen) return `is longer than ${maxLen} characters`;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 128 && USER_CHAR_OK[c] === 1) continue;
    // Name the whole character, also when it is a surrogate pair.
    return `holds the character ${JSON.stringify(String.fromCodePoint(name.codePointAt(i)!))}`;
  }
  return undefined;
}

/**
 * Checks one `proto/port` request: only `tcp/N` and `udp/N` with N in
 * 1..65535 are valid in fwknop 2.6.
 *
 * @param spec The request, such as `tcp/22`.
 * @returns `undefined` when good, else the reason.
 */
export function checkProtoPort(spec: string): string | undefined {
  const p = parseProtoPort(spec);
  return typeof p === "string" ? p : undefined;
}

/**
 * The address a message asks to open: an address, or `"source"` for
 * `0.0.0.0` and `::` (the client's `-s`: open the packet's source).
 */
export type AllowAddress = IpAddr | "source";

/** The address part of a message, read once. */
export interface MessageAddress {
  /** The address text as the client wrote it (for log lines). */
  allowText: string;
  /** What it asks to open. */
  allow: AllowAddress;
}

/** An access message `IP,proto/port[,proto/port...]`, read once. */
export interface AccessMessage extends MessageAddress {
  /** The requests, in order (at least one). */
  ports: ProtoPort[];
}

/** A command message `IP,command`, read once. */
export interface CommandMessage extends MessageAddress {
  /** The command text after the first comma. */
  command: string;
}

/** A NAT access field `host,port`, read once. */
export interface NatTarget {
  /** A host name or address text (resolved by the firewall when a name). */
  host: string;
  /** The port, 1..65535. */
  port: number;
}

/** Reads the address before the first comma of a message, or returns the reason. */
function messageAddress(msg: string, comma: number): MessageAddress | string {
  const allowText = msg.slice(0, comma);
  const addr = parseMessageIp(allowText);
  if (typeof addr === "string") return addr;
  const source = allowText === "0.0.0.0" || allowText === "::";
  return { allowText, allow: source ? "source" : addr };
}

/**
 * Reads an access message `IP,proto/port[,proto/port...]`.
 *
 * @param msg The message string.
 * @returns The address and requests, or the reason they are refused.
 */
export function parseAccessMessage(msg: string): AccessMessage | string {
  if (msg.length >= MAX_MESSAGE_LEN) return `is ${MAX_MESSAGE_LEN} characters or longer`;
  const comma = msg.indexOf(",");
  if (comma < 0) return "has no proto/port list after the IP address";
  const addr = messageAddress(msg, comma);
  if (typeof addr === "string") return addr;
  const ports = parseProtoPortList(msg.slice(comma + 1));
  return typeof ports === "string"
    ? ports
    : { allowText: addr.allowText, allow: addr.allow, ports };
}

/**
 * Checks an access message `IP,proto/port[,proto/port...]`.
 *
 * @param msg The message string.
 * @returns `undefined` when good, else the reason.
 */
export function checkAccessMessage(msg: string): string | undefined {
  const m = parseAccessMessage(msg);
  return typeof m === "string" ? m : undefined;
}

/**
 * Reads a command message `IP,command`.
 *
 * @param msg The message string.
 * @returns The address and command, or the reason they are refused.
 */
export function parseCommandMessage(msg: string): CommandMessage | string {
  if (msg.length >= MAX_MESSAGE_LEN) return `is ${MAX_MESSAGE_LEN} characters or longer`;
  const comma = msg.indexOf(",");
  if (comma < 0) return "has no command after the IP address";
  const addr = messageAddress(msg, comma);
  if (typeof addr === "string") return addr;
  if (comma + 1 >= msg.length) return "has an empty command";
  if (msg.includes("\0")) return "holds a NUL byte";
  return { ...addr, command: msg.slice(comma + 1) };
}

/**
 * Checks a command message `IP,command`.
 *
 * @param msg The message string.
 * @returns `undefined` when good, else the reason.
 */
export function checkCommandMessage(msg: string): string | undefined {
  const m = parseCommandMessage(msg);
  return typeof m === "string" ? m : undefined;
}

const FORBIDDEN_NAT_HOST_CHARS = /[ /?"'\\]/;

/**
 * Reads a NAT access string `host,port`.
 *
 * @param nat The NAT access string.
 * @returns The target, or the reason it is refused.
 */
export function parseNatAccess(nat: string): NatTarget | string {
  if (nat.length >= MAX_NAT_ACCESS_LEN) return `is ${MAX_NAT_ACCESS_LEN} characters or longer`;
  const parts = nat.split(",");
  if (parts.length !== 2) return `"${nat}" is not HOST,PORT`;
  const [host, portText] = parts as [string, string];
  if (host.length === 0 || host.length > MAX_NAT_HOST_LEN) {
    return `host must be 1 to ${MAX_NAT_HOST_LEN} characters`;
  }
  if (FORBIDDEN_NAT_HOST_CHARS.test(host) || /[^\x21-\x7e]/.test(host)) {
    return `host "${host}" holds a forbidden character`;
  }
  const port = parsePort(portText);
  return typeof port === "string" ? port : { host, port };
}

/**
 * Checks a NAT access string `host,port`.
 *
 * @param nat The NAT access string.
 * @returns `undefined` when good, else the reason.
 */
export function checkNatAccess(nat: string): string | undefined {
  const t = parseNatAccess(nat);
  return typeof t === "string" ? t : undefined;
}

/**
 * Checks a client timeout value as it appears in the message.
 *
 * @param text The timeout digits.
 * @returns `undefined` when good, else the reason.
 */
export function checkTimeoutText(text: string): string | undefined {
  if (!/^\d{1,6}$/.test(text)) return `"${text}" is not a number`;
  if (Number(text) > MAX_CLIENT_TIMEOUT) return `${text} is above ${MAX_CLIENT_TIMEOUT}`;
  return undefined;
}
