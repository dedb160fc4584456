/**
 * What the receive pipeline decides about a packet: a plan to carry out, or
 * none, and the events on the way, each a code from a closed set. The log
 * wording (fwknopd's, so existing log watchers keep matching) lives in one
 * table here; metrics can count the same codes.
 *
 * @module
 */
import type { Grant } from "../../firewall/grant.ts";
import type { SpaMessage } from "../spa/message.ts";

/** Log levels of events. */
export type EventLevel = "debug" | "info" | "warning" | "error";

/**
 * Why a packet went no further (or, for `source-match` and `gpg-signed`,
 * a step it passed). The closed set of codes.
 */
export type EventCode =
  // The cheap checks (debug only: a flood of garbage must not flood the log).
  | "bad-length"
  | "client-prefix"
  | "http-user-agent"
  | "http-no-data"
  | "http-too-short"
  | "not-rijndael"
  | "not-base64"
  // Before the stanzas.
  | "no-source-match"
  | "replay"
  // Per stanza, in fwknopd's order.
  | "source-match"
  | "stanza-expired"
  | "no-encryption-match"
  | "decode-failed"
  | "gpg-no-signature"
  | "gpg-bad-signature"
  | "gpg-signed"
  | "gpg-fingerprint"
  | "gpg-remote-id"
  | "too-old"
  | "source-required"
  | "allow-not-unicast"
  | "server-auth"
  | "username"
  | "nat-disabled"
  | "local-nat-disabled"
  | "nat-family"
  | "command-disabled"
  | "test-command"
  | "ports-denied"
  | "test-firewall"
  // Knocks (lib/policy/knock.ts), per knock stanza.
  | "knock-broken"
  | "knock-undecryptable"
  | "knock-address"
  | "knock-source-required"
  | "knock-username"
  | "knock-ports-denied"
  | "knock-limit"
  | "knock-accepted"
  | "knock-accepted-command";

/** One step's outcome: a code, the packet source, the stanza and the variable facts. */
export interface PolicyEvent {
  code: EventCode;
  /** The packet's source address as text. */
  src: string;
  /** 1-based stanza number, for per-stanza events. */
  stanza?: number;
  /** The facts the wording needs (see `EVENT_TEXT`). */
  args: readonly string[];
}

type Wording = { level: EventLevel; text: (a: readonly string[]) => string };

const w = (level: EventLevel, text: (a: readonly string[]) => string): Wording => ({
  level,
  text,
});

/** Each code's level and wording (fwknopd's where it logs the event). */
export const EVENT_TEXT: Readonly<Record<EventCode, Wording>> = {
  "bad-length": w("debug", (a) => `payload of ${a[0]} bytes is not SPA data`),
  "client-prefix": w("debug", () => "payload carries the prefix a client strips: dropped"),
  "http-user-agent": w("debug", () => "HTTP request without a Fwknop User-Agent"),
  "http-no-data": w("debug", () => "HTTP request without SPA data"),
  "http-too-short": w("debug", () => "HTTP SPA data too short"),
  "not-rijndael": w("debug", () => "payload cannot be a Rijndael SPA packet: dropped"),
  "not-base64": w("debug", () => "payload is not base64: not SPA data"),
  "no-source-match": w("info", (a) => `No access data found for source IP: ${a[0]}`),
  "replay": w(
    "warning",
    (a) =>
      `Replay detected from source IP: ${a[0]}, Destination proto/port: ${a[1]}, ` +
      `Original source IP: ${a[2]}, Original dst proto/port: ${a[3]}, Entry created: ${a[4]}`,
  ),
  "source-match": w("info", (a) => `SPA Packet from IP: ${a[0]} received with access source match`),
  "stanza-expired": w("info", () => "Access stanza has expired"),
  "no-encryption-match": w("info", () => "No stanza encryption mode match for this packet"),
  // a[0] is libfko's error string (fko_error.ts); a[1] and a[2] our reason code and detail.
  "decode-failed": w("warning", (a) => `Error creating fko context: ${a[0]}`),
  "gpg-no-signature": w("info", () => "Missing GPG signature."),
  "gpg-bad-signature": w("info", (a) => `Bad GPG signature from ${a[0]}: ${a[1]}`),
  "gpg-signed": w("info", (a) => `Incoming SPA data signed by '${a[0]}' (fingerprint '${a[1]}').`),
  "gpg-fingerprint": w(
    "info",
    (a) => `Incoming SPA packet signed by ${a[0]}, which is not in the GPG_FINGERPRINT_ID list.`,
  ),
  "gpg-remote-id": w(
    "info",
    (a) => `Incoming SPA packet signed by ID ${a[0]}, which is not in the GPG_REMOTE_ID list.`,
  ),
  "too-old": w("info", (a) => `SPA data time difference is too great (${a[0]} seconds).`),
  "source-required": w("info", () => "Got 0.0.0.0 when valid source IP was required."),
  "server-auth": w(
    "info",
    () => "SPA packet refused: it carries a server-auth field, which fwknop 2.6 clients never send",
  ),
  "allow-not-unicast": w(
    "info",
    (a) => `SPA packet refused: ${a[0]} is not a unicast address, so there is nothing to open`,
  ),
  "username": w(
    "info",
    (a) => `Username in SPA data (${a[0]}) does not match required username: ${a[1]}`,
  ),
  // fwknopd's line for both; a[0] is the packet's source.
  "nat-disabled": w(
    "info",
    (a) => `SPA packet from ${a[0]} requested NAT access, but is not enabled/supported`,
  ),
  "local-nat-disabled": w(
    "info",
    (a) => `SPA packet from ${a[0]} requested NAT access, but is not enabled/supported`,
  ),
  "nat-family": w(
    "info",
    (a) => `Cannot NAT access for ${a[0]} to ${a[1]}: the addresses are of different families`,
  ),
  "command-disabled": w(
    "info",
    () => "SPA Command messages are not allowed in the current configuration.",
  ),
  "test-command": w("info", () => "--test mode enabled, skipping command execution."),
  "ports-denied": w(
    "info",
    () => "One or more requested protocol/ports was denied per access.conf.",
  ),
  "test-firewall": w("info", () => "--test mode enabled, skipping firewall manipulation."),
  // a[0] is the watcher's reason: wrong-order, too-fast, too-slow, interval.
  "knock-broken": w("info", (a) => `Knock sequence refused: ${a[0]}`),
  // a[0] is the first check the window failed (knock/sequence.ts).
  "knock-undecryptable": w("info", (a) => `Knock sequence refused: ${a[0]}`),
  "knock-address": w(
    "info",
    (a) => `Knock sequence refused: address (${a[0]} is not the knocking source)`,
  ),
  "knock-source-required": w("info", () => "Knock sequence refused: source-required"),
  "knock-username": w("info", (a) => `Knock sequence refused: username (${a[0]})`),
  "knock-ports-denied": w("info", (a) => `Knock sequence refused: ports (${a[0]})`),
  "knock-limit": w("info", () => "Knock sequence refused: limit"),
  "knock-accepted": w("info", (a) => `Knock sequence accepted: opening ${a[0]} for ${a[1]}`),
  "knock-accepted-command": w("info", (a) => `Knock sequence accepted for ${a[0]}`),
};

/** Lines fwknopd tags with the stanza only (their text names the source). */
const STANZA_TAG_ONLY: ReadonlySet<EventCode> = new Set([
  "source-match",
  "nat-disabled",
  "local-nat-disabled",
]);

/** Codes that say the packet passed a step rather than why it stopped. */
const PROGRESS: ReadonlySet<EventCode> = new Set([
  "source-match",
  "gpg-signed",
  "knock-accepted",
  "knock-accepted-command",
]);

/**
 * Turns an event into its log line.
 *
 * @param e The event.
 * @returns The level and fwknopd's wording, with the source and stanza tag.
 */
export function describe(e: PolicyEvent): { level: EventLevel; msg: string; event: PolicyEvent } {
  const t = EVENT_TEXT[e.code];
  const body = t.text(e.args);
  const line = (msg: string) => ({ level: t.level, msg, event: e });
  if (STANZA_TAG_ONLY.has(e.code)) return line(`(stanza #${e.stanza}) ${body}`);
  if (e.stanza === undefined) return line(t.level === "debug" ? `[${e.src}] ${body}` : body);
  return line(`[${e.src}] (stanza #${e.stanza}) ${body}`);
}

/** Whether an event is a refusal (not a passed step). */
export function isRefusal(code: EventCode): boolean {
  return !PROGRESS.has(code);
}

/** Open the firewall. */
export interface GrantPlan {
  kind: "grant";
  grant: Grant;
}

/** Run a type-0 command (argv, never a shell). */
export interface CommandPlan {
  kind: "command";
  stanza: number;
  argv: string[];
  /** Runs as another user (setpriv): no timeout, as fwknopd. */
  asUser: boolean;
}

/** One open/close pair of a CMD_CYCLE plan (one per requested port with CMD_CYCLE_PER_PORT). */
export interface CycleStep {
  /** What the pair is for in log lines: the allowed address and the port (`192.0.2.5 tcp/22`). */
  label: string;
  /**
   * The same key is the same live cycle: its commands apart from `$TIMEOUT`
   * and `$CLIENT_TIMEOUT`. A repeat moves the close time; OPEN is not run again.
   */
  key: string;
  open: string[];
  close?: string[];
}

/** CMD_CYCLE_OPEN now, CMD_CYCLE_CLOSE after `timeout` seconds. */
export interface CyclePlan {
  kind: "cycle";
  stanza: number;
  /** The first pair's commands (a knockd stanza's start and stop commands). */
  open: string[];
  close?: string[];
  timeout: number;
  /** Every pair, when there are several or they carry their keys (SPA's CMD_CYCLE). */
  steps?: CycleStep[];
}

/** What an accepted packet asks for. */
export type Plan = GrantPlan | CommandPlan | CyclePlan;

/** The pipeline's answer for one packet. */
export interface Verdict {
  /** What to do, when some stanza accepted the packet. */
  plan?: Plan;
  /** Every step's event, in order. */
  events: PolicyEvent[];
  /** The replay digest to claim before acting (an authentic packet is burned). */
  replayKey?: string;
  /** Seconds the replay record must last (0: for ever); the server's default when absent. */
  replayTtl?: number;
  /** knockd `one_time_sequences`: the stanza whose current sequence is burned before acting. */
  burnOneTime?: number;
  /** Stanzas that accepted the packet in `-t` mode. */
  testAccepted: number[];
  /**
   * The first stanza that authenticated the packet and its decrypted
   * fields, for the `-v -v` dump (a reference; nothing is copied).
   */
  decoded?: { stanza: number; fields: SpaMessage };
}

/** The last refusal of a verdict without a plan (for counters), if any. */
export function finalReason(v: Verdict): EventCode | undefined {
  for (let i = v.events.length - 1; i >= 0; i--) {
    if (isRefusal(v.events[i]!.code)) return v.events[i]!.code;
  }
  return undefined;
}
