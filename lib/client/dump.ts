/**
 * The field dump fwknop prints with `-T` and `-v`, with its labels.
 *
 * @module
 */
import { DIGESTS, type DigestType } from "../spa/digest.ts";
import { MESSAGE_TYPE_LABELS, type SpaMessage } from "../spa/message.ts";
import { type EncryptionMode, MODE_LABELS } from "../spa/rijndael.ts";

/** What the dump shows. */
export interface DumpInput {
  fields: SpaMessage;
  hmacType?: DigestType;
  mode: EncryptionMode;
  encoded: string;
  digest: string;
  hmac?: string;
  finalData: string;
}

function line(label: string, value: string): string {
  return `${label.padStart(15)}: ${value}`;
}

/**
 * Formats the `SPA Field Values:` block.
 *
 * @param d The values.
 * @returns The block, ending with a newline.
 */
export function formatDump(d: DumpInput): string {
  const f = d.fields;
  const hmacLabel = d.hmacType === undefined
    ? "0 (None)"
    : `${d.hmacType} (${DIGESTS.get(d.hmacType)!.label})`;
  return [
    "SPA Field Values:",
    "=================",
    line("Random Value", f.randomValue),
    line("Username", f.username),
    line("Timestamp", String(f.timestamp)),
    line("FKO Version", f.version),
    line("Message Type", `${f.messageType} (${MESSAGE_TYPE_LABELS[f.messageType]})`),
    line("Message String", f.message),
    line("Nat Access", f.natAccess ?? "<NULL>"),
    line("Server Auth", f.serverAuth ?? "<NULL>"),
    line("Client Timeout", String(f.clientTimeout)),
    line("Digest Type", `${f.digestType} (${DIGESTS.get(f.digestType)!.label})`),
    line("HMAC Type", hmacLabel),
    line("Encryption Type", d.mode === 7 ? "2 (GPG)" : "1 (Rijndael)"),
    line("Encryption Mode", `${d.mode} (${MODE_LABELS.get(d.mode)})`),
    line("Encoded Data", d.encoded),
    line("SPA Data Digest", d.digest),
    line("HMAC", d.hmac ?? "<NULL>"),
    line("Final SPA Data", d.finalData),
    "",
  ].join("\n");
}

/**
 * Formats the `Generating SPA packet:` block.
 *
 * @returns The block, ending with a newline.
 */
export function formatTransmit(
  proto: string,
  sourcePort: string,
  destPort: number,
  host: string,
): string {
  return [
    "Generating SPA packet:",
    `            protocol: ${proto}`,
    `         source port: ${sourcePort}`,
    `    destination port: ${destPort}`,
    `             IP/host: ${host}`,
    "",
  ].join("\n");
}
