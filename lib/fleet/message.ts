/**
 * Fleet messages on the wire: the fields of a grant or revocation in a
 * Redis Stream entry, authenticated with HMAC-SHA-256 under the fleet key
 * (FLEET_KEY_FILE), which Redis never sees.
 *
 * The MAC covers a canonical encoding of every field: a fixed label, then
 * each field in a fixed order as a 4-byte big-endian length and its bytes,
 * so no two different messages encode alike. The stream name is covered
 * too: a grant cannot be moved to another group, nor a grant read as a
 * revocation. Every message carries a random 128-bit id and its absolute
 * expiry (Unix seconds), both covered.
 *
 * The receive path goes cheapest check first: field count and sizes, the
 * MAC (constant-time compare), then a strict parse. It never throws on
 * hostile fields.
 *
 * @module
 */
import type { ProtoPort } from "../../firewall/grant.ts";
import { parseProtoPort, portsText } from "../net/proto_port.ts";
import { FLEET_GROUP_NAME } from "../config/access_conf.ts";
import { type IpAddr, parseAddr } from "../net/addr.ts";
import { backend } from "../spa/crypto.ts";
import { constantTimeEqual } from "../spa/digest.ts";

/** The version field's value. */
export const FLEET_MSG_VERSION = "1";
/** The label that starts the authenticated encoding. */
const MAC_LABEL = "fwknop-ts fleet message v1";
/** HMAC-SHA-256: 32 bytes, 64 hex characters. */
export const FLEET_MAC_BYTES = 32;
/** Random message id: 16 bytes, 32 hex characters. */
export const FLEET_ID_BYTES = 16;
/** Least fleet key length (bytes, decoded). */
export const FLEET_KEY_MIN_BYTES = 32;
/** Most ports one fleet grant may open. */
export const FLEET_MAX_PORTS = 32;
/** Most fields an entry may have, and the longest field value (characters). */
const MAX_FIELDS = 12;
const MAX_VALUE_LEN = 400;

/** The fields of each kind, in MAC order (`mac` itself is not covered). */
const GRANT_FIELDS = ["v", "kind", "id", "gw", "at", "src", "dst", "ports", "exp", "stanza"];
const REVOKE_FIELDS = ["v", "kind", "id", "by", "at", "src", "exp"];

/** A verified grant message. */
export interface FleetGrantMsg {
  kind: "grant";
  id: string;
  /** The gateway that made it. */
  gw: string;
  /** Unix milliseconds when it was made. */
  at: number;
  src: IpAddr;
  dst?: IpAddr;
  ports: ProtoPort[];
  /** Unix seconds: the grant's absolute expiry. */
  exp: number;
  /** The stanza's number in the sender's access.conf (not trusted, only logged). */
  stanza: number;
}

/** A verified revocation message. */
export interface FleetRevokeMsg {
  kind: "revoke";
  id: string;
  /** The gateway that published it. */
  by: string;
  /** Unix milliseconds when it was published. */
  at: number;
  src: IpAddr;
  /** Unix seconds until which it holds. */
  exp: number;
}

/** Why a message was refused (before any local policy). */
export type FleetMsgRefusal = "malformed" | "bad-mac";

/** The outcome of reading a message. */
export type FleetMsgResult =
  | { ok: true; msg: FleetGrantMsg | FleetRevokeMsg }
  | { ok: false; reason: FleetMsgRefusal };

const enc = new TextEncoder();

/** The canonical bytes the MAC covers. */
function canonical(
  stream: string,
  names: readonly string[],
  f: Record<string, string>,
): Uint8Array {
  const parts = [MAC_LABEL, stream, ...names.map((n) => f[n] ?? "")].map((s) => enc.encode(s));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function macOf(key: Uint8Array, stream: string, f: Record<string, string>): string {
  const names = f.kind === "grant" ? GRANT_FIELDS : REVOKE_FIELDS;
  const out = new Uint8Array(FLEET_MAC_BYTES);
  backend.hmac("sha256", key, canonical(stream, names, f), out);
  return hex(out);
}

/** A new random message id (32 hex characters). */
export function newMessageId(): string {
  return hex(crypto.getRandomValues(new Uint8Array(FLEET_ID_BYTES)));
}

/**
 * Adds the MAC to a message's fields.
 *
 * @param key The fleet key.
 * @param stream The stream the message goes to.
 * @param f The fields (`kind` decides which are covered).
 * @returns The fields with `mac`.
 */
export function signFields(
  key: Uint8Array,
  stream: string,
  f: Record<string, string>,
): Record<string, string> {
  return { ...f, mac: macOf(key, stream, f) };
}

/**
 * The signed fields of a grant message.
 *
 * @param key The fleet key.
 * @param stream The group's stream.
 * @param m The grant (its `id` and `at` chosen by the caller).
 * @returns Stream entry fields.
 */
export function grantMessage(
  key: Uint8Array,
  stream: string,
  m: Omit<FleetGrantMsg, "kind">,
): Record<string, string> {
  return signFields(key, stream, {
    v: FLEET_MSG_VERSION,
    kind: "grant",
    id: m.id,
    gw: m.gw,
    at: String(m.at),
    src: m.src.text,
    dst: m.dst?.text ?? "",
    ports: portsText(m.ports),
    exp: String(m.exp),
    stanza: String(m.stanza),
  });
}

/**
 * The signed fields of a revocation message.
 *
 * @param key The fleet key.
 * @param stream The revocation stream.
 * @param m The revocation.
 * @returns Stream entry fields.
 */
export function revokeMessage(
  key: Uint8Array,
  stream: string,
  m: Omit<FleetRevokeMsg, "kind">,
): Record<string, string> {
  return signFields(key, stream, {
    v: FLEET_MSG_VERSION,
    kind: "revoke",
    id: m.id,
    by: m.by,
    at: String(m.at),
    src: m.src.text,
    exp: String(m.exp),
  });
}

const ID_RE = /^[0-9a-f]{32}$/;
const MAC_RE = /^[0-9a-f]{64}$/;
const MS_RE = /^(0|[1-9]\d{0,14})$/;
const SEC_RE = /^(0|[1-9]\d{0,11})$/;

/** An address in its canonical text only (one message, one encoding). */
function addr(text: string | undefined): IpAddr | undefined {
  const a = parseAddr(text ?? "");
  return a !== undefined && a.text === text ? a : undefined;
}

/** `tcp/22,udp/53`, 1 to FLEET_MAX_PORTS ports 1..65535, canonical digits. */
export function parsePorts(text: string): ProtoPort[] | undefined {
  const parts = text.split(",");
  if (parts.length > FLEET_MAX_PORTS) return undefined;
  const out: ProtoPort[] = [];
  for (const p of parts) {
    const pp = parseProtoPort(p);
    if (typeof pp === "string" || portsText([pp]) !== p) return undefined;
    out.push(pp);
  }
  return out;
}

/** Only the expected field names, each small. */
function wellFormed(f: Record<string, string>, names: readonly string[]): boolean {
  const keys = Object.keys(f);
  if (keys.length !== names.length + 1) return false;
  for (const k of keys) {
    const v = f[k];
    if (typeof v !== "string" || v.length > MAX_VALUE_LEN) return false;
    if (k !== "mac" && !names.includes(k)) return false;
  }
  return f.v === FLEET_MSG_VERSION && MAC_RE.test(f.mac ?? "");
}

/**
 * Reads a stream entry: sizes, MAC, then a strict parse.
 *
 * @param key The fleet key.
 * @param stream The stream the entry was read from.
 * @param f The entry's fields, as Redis gave them.
 * @returns The verified message, or why it was refused.
 */
export function readMessage(
  key: Uint8Array,
  stream: string,
  f: Record<string, string>,
): FleetMsgResult {
  if (typeof f !== "object" || f === null || Object.keys(f).length > MAX_FIELDS) {
    return { ok: false, reason: "malformed" };
  }
  const names = f.kind === "grant" ? GRANT_FIELDS : f.kind === "revoke" ? REVOKE_FIELDS : [];
  if (names.length === 0 || !wellFormed(f, names)) return { ok: false, reason: "malformed" };
  if (!constantTimeEqual(macOf(key, stream, f), f.mac!)) return { ok: false, reason: "bad-mac" };
  const msg = f.kind === "grant" ? parseGrant(f) : parseRevoke(f);
  return msg === undefined ? { ok: false, reason: "malformed" } : { ok: true, msg };
}

function common(f: Record<string, string>) {
  const src = addr(f.src);
  if (src === undefined || !ID_RE.test(f.id ?? "")) return undefined;
  if (!MS_RE.test(f.at ?? "") || !SEC_RE.test(f.exp ?? "")) return undefined;
  return { id: f.id!, at: Number(f.at), exp: Number(f.exp), src };
}

function parseGrant(f: Record<string, string>): FleetGrantMsg | undefined {
  const c = common(f);
  const ports = parsePorts(f.ports ?? "");
  if (c === undefined || ports === undefined || !FLEET_GROUP_NAME.test(f.gw ?? "")) return;
  if (!/^[1-9]\d{0,5}$/.test(f.stanza ?? "")) return;
  const m: FleetGrantMsg = { kind: "grant", ...c, gw: f.gw!, ports, stanza: Number(f.stanza) };
  if (f.dst !== "") {
    const dst = addr(f.dst);
    if (dst === undefined) return;
    m.dst = dst;
  }
  return m;
}

function parseRevoke(f: Record<string, string>): FleetRevokeMsg | undefined {
  const c = common(f);
  if (c === undefined || !FLEET_GROUP_NAME.test(f.by ?? "")) return;
  return { kind: "revoke", ...c, by: f.by! };
}

/**
 * A value from Redis made safe for one log line: control characters,
 * non-ASCII and backslashes as `\xNN`, cut at 80 characters.
 *
 * @param text Anything.
 * @returns Printable ASCII without newlines.
 */
export function logSafe(text: unknown): string {
  const s = String(text);
  const cut = s.length > 80 ? s.slice(0, 80) : s;
  const out = cut.replace(
    /[^\x20-\x5b\x5d-\x7e]/g,
    (c) => `\\x${(c.charCodeAt(0) & 0xff).toString(16).padStart(2, "0")}`,
  );
  return s.length > 80 ? `${out}...` : out;
}
