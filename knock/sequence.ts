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

/** A decrypted sequence, or why it is not one. */
export type DecodedSequence =
  | { ok: true; allowIp: string; proto: "tcp" | "udp" | "icmp"; port: number; username: string }
  | { ok: false; reason: "length" | "decrypt" | "checksum" | "protocol" };

/**
 * Decrypts 32 knock bytes with a stanza's key. Never throws.
 *
 * @param bytes The knocked bytes (port minus offset), in order.
 * @param passphrase The stanza's KEY.
 * @returns The request, or the reason it was refused.
 */
export function decryptSequence(bytes: readonly number[], passphrase: string): DecodedSequence {
  if (bytes.length !== KNOCKS_PER_SEQUENCE || bytes.some((b) => !(b >= 0 && b <= 255))) {
    return { ok: false, reason: "length" };
  }
  const plain = rijndaelDecrypt(Uint8Array.from(bytes), knockKey(passphrase), EncryptionMode.CBC);
  if (plain === undefined || plain.length < HEADER_BYTES) return { ok: false, reason: "decrypt" };
  // The decryption is unauthenticated: a wrong key is caught by the checksum and protocol.
  const sum = plain.subarray(0, 7).reduce((a, b) => a + b, 0) % 256;
  if (sum !== plain[7]) return { ok: false, reason: "checksum" };
  const proto = plain[6] === 6
    ? "tcp"
    : plain[6] === 17
    ? "udp"
    : plain[6] === 1
    ? "icmp"
    : undefined;
  if (proto === undefined) return { ok: false, reason: "protocol" };
  let end = HEADER_BYTES;
  while (end < plain.length && plain[end] !== 0) end++;
  return {
    ok: true,
    allowIp: `${plain[0]}.${plain[1]}.${plain[2]}.${plain[3]}`,
    proto,
    port: (plain[4]! << 8) | plain[5]!,
    username: new TextDecoder("latin1").decode(plain.subarray(HEADER_BYTES, end)),
  };
}
