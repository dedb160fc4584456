/**
 * The alert mail: headers and a plain ASCII body (the log line, then the
 * JSON record). Nothing from an event can add a header or end the message:
 * header values keep printable ASCII only, the body is JSON (which escapes
 * line breaks) with every other character escaped, and lines are cut short.
 *
 * @module
 */
import type { AlertRecord } from "./record.ts";
import type { MailOptions } from "./options.ts";

/** Longest body line written (RFC 5322 allows 998 characters before the line break). */
const MAX_LINE = 990;
/** Longest header value written. */
const MAX_HEADER = 200;

/** Printable ASCII only: anything else, CR and LF first, becomes `?`. */
export function headerText(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, "?");
  return clean.length <= MAX_HEADER ? clean : clean.slice(0, MAX_HEADER);
}

/** JSON with every character outside printable ASCII written as `\uXXXX`. */
function asciiJson(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(
    /[^\x20-\x7e\n]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * The subject: `[fwknopd] HOST: CLASS from SOURCE`.
 *
 * @param rec The alert.
 * @param host This host's name.
 * @returns A header value with no line break.
 */
export function mailSubject(rec: AlertRecord, host: string): string {
  const src = typeof rec.src === "string" ? ` from ${rec.src}` : "";
  return headerText(`[fwknopd] ${host}: ${rec.class}${src}`);
}

/**
 * Builds the message (headers, blank line, body), lines joined by CRLF,
 * without the SMTP dot-stuffing (the SMTP client adds it).
 *
 * @param rec The alert.
 * @param o Sender, recipients, host name.
 * @param id A unique part for the Message-ID.
 * @returns The message text.
 */
export function buildMail(rec: AlertRecord, o: MailOptions, id: string): string {
  const headers = [
    `From: <${headerText(o.from)}>`,
    `To: ${o.to.map((a) => `<${headerText(a)}>`).join(", ")}`,
    `Subject: ${mailSubject(rec, o.helo)}`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${headerText(id)}@${headerText(o.helo)}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "Content-Transfer-Encoding: 7bit",
    "Auto-Submitted: auto-generated",
  ];
  const msg = headerText(rec.msg.length > MAX_LINE ? rec.msg.slice(0, MAX_LINE) : rec.msg);
  const body = [msg, "", ...asciiJson(rec).split("\n")]
    .map((l) => (l.length > MAX_LINE ? l.slice(0, MAX_LINE) : l));
  return [...headers, "", ...body].join("\r\n");
}
