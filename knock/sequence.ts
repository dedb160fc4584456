/**
 * fwknop 1.x encrypted knock sequences (SPEC §12.1): an 8-byte header (allow
 * address, port, protocol, checksum) and the login name, encrypted as
 * `Salted__ || salt || AES-256-CBC` with the passphrase padded to 16 bytes,
 * and every byte of that sent as one knock to `offset + byte`. Exactly 32
 * knocks (one cipher block after the 16-byte header): the daemon decrypts
 * at 32, so the name is cut to keep the plaintext under 16 bytes.
 *
 * @module
 */
import { EncryptionMode, rijndaelDecrypt, rijndaelEncrypt } from "../lib/spa/rijndael.ts";
import { ipv4ToInt } from "../lib/net/addr.ts";
import { checkUsername } from "../lib/spa/fields.ts";

/** Knocks in an encrypted sequence: 16 header bytes and one 16-byte block. */
export const KNOCKS_PER_SEQUENCE = 32;
/** Longest plaintext that fits one block with PKCS#7 padding. */
export const MAX_PLAINTEXT = 15;
/** The header before the login name: 4 address, 2 port, 1 protocol, 1 checksum. */
export const HEADER_BYTES = 8;
/** fwknop 1.x's default port offset. */
export const DEFAULT_PORT_OFFSET = 61000;
/** Shortest passphrase the 1.x client accepts; shorter ones are refused. */
export const MIN_KNOCK_KEY_LEN = 8;
/** The passphrase is right-padded with ASCII '0' to this length. */
export const KNOCK_KEY_PAD = 16;
/** Protocol numbers a sequence may carry. */
export const KNOCK_PROTOS: Readonly<Record<"tcp" | "udp" | "icmp", number>> = {
  tcp: 6,
  udp: 17,
  icmp: 1,
};

/** What an encrypted sequence asks for. */
export interface KnockRequest {
  /** Dotted quad to open, or `0.0.0.0` for "the knocking source". */
  allowIp: string;
  proto: "tcp" | "udp" | "icmp";
  /** Requested port (0 for icmp). */
  port: number;
  /** Login name; cut so the plaintext stays one block. */
  username: string;
}

/** The passphrase as the 1.x tools use it: padded with '0' to 16 bytes. */
export function knockKey(passphrase: string): Uint8Array {
  const bytes = new TextEncoder().encode(passphrase);
  if (bytes.length >= KNOCK_KEY_PAD) return bytes;
  const out = new Uint8Array(KNOCK_KEY_PAD).fill(0x30);
  out.set(bytes);
  return out;
}

/**
 * The clear-text bytes of a sequence.
 *
 * @param r The request.
 * @returns Header, checksum and the (cut) login name.
 * @throws {RangeError} for an address that is not a dotted quad or a port out of range.
 */
export function clearSequence(r: KnockRequest): number[] {
  const ip = ipv4ToInt(r.allowIp);
  if (ip === undefined) {
    throw new RangeError(`Cannot knock for "${r.allowIp}": not an IPv4 address`);
  }
  if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65535) {
    throw new RangeError(`Cannot knock for port ${r.port}: not 0 to 65535`);
  }
  const head = [
    ip >>> 24,
    (ip >>> 16) & 255,
    (ip >>> 8) & 255,
    ip & 255,
    r.port >> 8,
    r.port & 255,
  ];
  head.push(KNOCK_PROTOS[r.proto]);
  head.push(head.reduce((a, b) => a + b, 0) % 256);
  const name = [...new TextEncoder().encode(r.username)].slice(0, MAX_PLAINTEXT - HEADER_BYTES);
  return [...head, ...name];
}

/**
 * Encrypts a request into the 32 knock bytes.
 *
 * @param r The request.
 * @param passphrase The shared key (at least 8 characters).
 * @param salt 8 salt bytes (random when omitted; fixed for golden tests).
 * @returns The clear and cipher bytes.
 */
export function encryptSequence(
  r: KnockRequest,
  passphrase: string,
  salt?: Uint8Array,
): { clear: number[]; cipher: number[] } {
  if (passphrase.length < MIN_KNOCK_KEY_LEN) {
    throw new RangeError(`Cannot knock: the key must be at least ${MIN_KNOCK_KEY_LEN} characters`);
  }
  const clear = clearSequence(r);
  const framed = rijndaelEncrypt(
    Uint8Array.from(clear),
    knockKey(passphrase),
    EncryptionMode.CBC,
    salt,
  );
  return { clear, cipher: [...framed] };
}

/** One knock: a protocol and a destination port. */
export interface Knock {
  proto: "tcp" | "udp" | "icmp";
  port: number;
}

/**
 * The knocks that carry a cipher sequence: byte b goes to `offset + b`,
 * over TCP, or alternating TCP (even positions) and UDP with `rotate`.
 */
export function sequenceKnocks(
  cipher: readonly number[],
  offset: number,
  rotate: boolean,
): Knock[] {
  return cipher.map((b, i) => ({ proto: rotate && i % 2 === 1 ? "udp" : "tcp", port: offset + b }));
}

/**
 * Why 32 knock bytes are not a sequence, one code per stage in the order
 * they are checked (cheapest first). `padding` is the first check on the
 * decrypted block: a strict PKCS#7 tail leaving 8 to 15 plaintext bytes.
 */
export type SequenceRejection =
  | "length"
  | "magic"
  | "padding"
  | "checksum"
  | "protocol"
  | "port"
  | "username";

/** A decrypted sequence, or why it is not one. */
export type DecodedSequence =
  | { ok: true; allowIp: string; proto: "tcp" | "udp" | "icmp"; port: number; username: string }
  | { ok: false; reason: SequenceRejection };

const PROTO_BY_NUMBER: ReadonlyMap<number, "tcp" | "udp" | "icmp"> = new Map([
  [KNOCK_PROTOS.tcp, "tcp"],
  [KNOCK_PROTOS.udp, "udp"],
  [KNOCK_PROTOS.icmp, "icmp"],
]);

/** Bytes a login name may hold: libfko's username characters (`checkUsername`). */
function nameByteOk(b: number): boolean {
  return b < 128 && checkUsername(String.fromCharCode(b)) === undefined;
}

/**
 * Decrypts 32 knock bytes with a stanza's key and checks every field
 * strictly. Never throws. The decryption is unauthenticated, so these checks
 * are the gate: a random window passes the padding with chance ~1/255, the
 * checksum 1/256, the protocol 3/256 (docs/security.md has the arithmetic;
 * the address binding is the caller's, in lib/policy/knock.ts).
 *
 * @param bytes The knocked bytes (port minus offset), in order.
 * @param passphrase The stanza's KEY.
 * @returns The request, or the first check it failed.
 */
export function decryptSequence(bytes: readonly number[], passphrase: string): DecodedSequence {
  if (bytes.length !== KNOCKS_PER_SEQUENCE || bytes.some((b) => !(b >= 0 && b <= 255))) {
    return { ok: false, reason: "length" };
  }
  const plain = rijndaelDecrypt(Uint8Array.from(bytes), knockKey(passphrase), EncryptionMode.CBC);
  if (plain === undefined) return { ok: false, reason: "magic" };
  // rijndaelDecrypt strips only a well-formed PKCS#7 tail; a bad one leaves 16 bytes.
  if (plain.length < HEADER_BYTES || plain.length > MAX_PLAINTEXT) {
    return { ok: false, reason: "padding" };
  }
  const sum = plain.subarray(0, 7).reduce((a, b) => a + b, 0) % 256;
  if (sum !== plain[7]) return { ok: false, reason: "checksum" };
  const proto = PROTO_BY_NUMBER.get(plain[6]!);
  if (proto === undefined) return { ok: false, reason: "protocol" };
  const port = (plain[4]! << 8) | plain[5]!;
  if (proto === "icmp" ? port !== 0 : port === 0) return { ok: false, reason: "port" };
  const name = plain.subarray(HEADER_BYTES);
  if (!name.every(nameByteOk)) return { ok: false, reason: "username" };
  return {
    ok: true,
    allowIp: `${plain[0]}.${plain[1]}.${plain[2]}.${plain[3]}`,
    proto,
    port,
    username: String.fromCharCode(...name),
  };
}
