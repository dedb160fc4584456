/**
 * `-v -v`: the SPA payload of each packet that passes the cheap checks and,
 * once a stanza authenticated it, the decrypted fields, in hex (fwknop
 * 1.8.3's debug dumps, for debugging clients and ciphers). Printed by the
 * logger at debug level from an observer the engine calls; at lower
 * verbosity the observer is absent and the engine pays one test per packet.
 *
 * Nothing secret is dumped: the payload is what crossed the wire, and the
 * decrypted fields are the client's message. Keys never reach the engine's
 * observer, and the server-auth field (a password in fwknop's design) is
 * shown by length only.
 *
 * @module
 */
import type { SpaMessage } from "../spa/message.ts";
import type { Level } from "./log.ts";

/** What the engine hands the observer. */
export type PacketDump =
  | { kind: "payload"; src: string; data: string }
  | { kind: "decrypted"; src: string; stanza: number; fields: SpaMessage };

/** The verbosity (`-v` count plus VERBOSE) at which dumps are printed. */
export const DUMP_VERBOSITY = 2;
/** Bytes per hex line. */
const BYTES_PER_LINE = 16;
/** Printable ASCII range shown in the text column. */
const PRINTABLE_MIN = 0x20;
const PRINTABLE_MAX = 0x7e;

const utf8 = new TextEncoder();

/**
 * Hex lines of some bytes: offset, sixteen bytes, and their printable
 * characters (others as `.`).
 *
 * @param bytes The bytes.
 * @param indent Text before each line.
 * @returns One line per sixteen bytes.
 * @example
 * ```ts
 * import { hexLines } from "./packet_dump.ts";
 * hexLines(new TextEncoder().encode("tcp/22"), "")[0]; // "0000  74 63 70 2f 32 32  |tcp/22|"
 * ```
 */
export function hexLines(bytes: Uint8Array, indent: string): string[] {
  const out: string[] = [];
  for (let off = 0; off < bytes.length; off += BYTES_PER_LINE) {
    const row = bytes.subarray(off, off + BYTES_PER_LINE);
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const text = String.fromCharCode(
      ...[...row].map((b) => (b >= PRINTABLE_MIN && b <= PRINTABLE_MAX ? b : 0x2e)),
    );
    out.push(`${indent}${off.toString(16).padStart(4, "0")}  ${hex}  |${text}|`);
  }
  return out;
}

/** The decrypted fields in fwknop's order, as the message carries them (server auth hidden). */
function fieldRows(f: SpaMessage): [string, string][] {
  const rows: [string, string][] = [
    ["random value", f.randomValue],
    ["username", f.username],
    ["timestamp", String(f.timestamp)],
    ["version", f.version],
    ["message type", String(f.messageType)],
    ["message", f.message],
  ];
  if (f.natAccess !== undefined) rows.push(["nat access", f.natAccess]);
  if (f.clientTimeout > 0) rows.push(["client timeout", String(f.clientTimeout)]);
  return rows;
}

/**
 * The debug lines for one dump.
 *
 * @param d What the engine saw.
 * @returns Lines for `Logger.logAll`, all at debug level.
 */
export function dumpLines(d: PacketDump): { level: Level; msg: string }[] {
  const lines: string[] = [];
  if (d.kind === "payload") {
    const bytes = utf8.encode(d.data);
    lines.push(`[${d.src}] SPA payload (${bytes.length} bytes):`, ...hexLines(bytes, "    "));
  } else {
    lines.push(`[${d.src}] (stanza #${d.stanza}) Decrypted SPA fields:`);
    for (const [name, value] of fieldRows(d.fields)) {
      const bytes = utf8.encode(value);
      const n = bytes.length;
      lines.push(`  ${name} (${n} byte${n === 1 ? "" : "s"}):`, ...hexLines(bytes, "    "));
    }
    if (d.fields.serverAuth !== undefined) {
      lines.push(`  server auth (${d.fields.serverAuth.length} characters, not shown)`);
    }
  }
  return lines.map((msg) => ({ level: "debug", msg }));
}

/**
 * The observer the daemon gives the engine: present only from `-v -v` on.
 *
 * @param verbosity `-v` count plus VERBOSE.
 * @param print Writes the lines (the logger's `logAll`).
 * @returns The observer, or `undefined` below {@linkcode DUMP_VERBOSITY}.
 */
export function packetDumper(
  verbosity: number,
  print: (lines: { level: Level; msg: string }[]) => void,
): ((d: PacketDump) => void) | undefined {
  if (verbosity < DUMP_VERBOSITY) return undefined;
  return (d) => print(dumpLines(d));
}
