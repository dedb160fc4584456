/**
 * A small SMTP client for alert mail: one session per message to the
 * configured relay (no local `sendmail`), optionally switched to TLS with
 * STARTTLS (certificate checked against the relay's name). The relay's
 * replies are hostile input: each line and each reply is bounded, the whole
 * session has one deadline, and a reply that is not `NNN text` ends it.
 *
 * @module
 */
import { createConnection, isIP, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { escapeLog } from "../log/escape.ts";

/** Longest reply line accepted (RFC 5321 allows 512 octets). */
export const MAX_REPLY_LINE = 1024;
/** Most lines in one reply (EHLO lists extensions). */
export const MAX_REPLY_LINES = 64;
/** Most bytes read from the relay in one session. */
export const MAX_SESSION_BYTES = 65536;

/** Where and how one message is sent. */
export interface SmtpSession {
  host: string;
  port: number;
  /** Require STARTTLS; nothing is sent in the clear when the relay cannot. */
  startTls: boolean;
  helo: string;
  from: string;
  to: readonly string[];
  /** The whole session's limit, milliseconds. */
  timeoutMs: number;
  /** Extra CA certificates (PEM) for STARTTLS, for tests and private relays. */
  ca?: string;
}

/** A failed delivery; `permanent` for a 5xx answer (trying again would not help). */
export class SmtpError extends Error {
  readonly permanent: boolean;
  constructor(msg: string, permanent: boolean) {
    super(msg);
    this.name = "SmtpError";
    this.permanent = permanent;
  }
}

/** A relay's reply: its code and text lines. */
interface Reply {
  code: number;
  text: string;
}

/** Reads CRLF lines from a socket within the limits. */
class LineReader {
  #buf = "";
  #read = 0;
  #waiter: (() => void) | undefined;
  #error: Error | undefined;
  #sock: Socket;

  constructor(sock: Socket) {
    this.#sock = sock;
    this.attach(sock);
  }

  attach(sock: Socket): void {
    this.#sock = sock;
    sock.setEncoding("latin1");
    sock.on("data", (chunk: string) => {
      this.#read += chunk.length;
      this.#buf += chunk;
      if (this.#read > MAX_SESSION_BYTES) {
        this.fail(new SmtpError("the relay sent too much", false));
      }
      this.#wake();
    });
    sock.on("error", (e: Error) => this.fail(e));
    sock.on("close", () => this.fail(new SmtpError("the relay closed the connection", false)));
  }

  /** Stops reading from the current socket (before it is wrapped in TLS). */
  detach(): void {
    this.#sock.removeAllListeners("data");
    this.#sock.removeAllListeners("close");
    this.#sock.removeAllListeners("error");
  }

  fail(e: Error): void {
    this.#error ??= e;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  async line(): Promise<string> {
    for (;;) {
      const i = this.#buf.indexOf("\r\n");
      if (i >= 0 && i <= MAX_REPLY_LINE) {
        const l = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 2);
        return l;
      }
      if ((i < 0 ? this.#buf.length : i) > MAX_REPLY_LINE) {
        throw new SmtpError(`a reply line is longer than ${MAX_REPLY_LINE} bytes`, false);
      }
      if (this.#error !== undefined) throw this.#error;
      await new Promise<void>((r) => (this.#waiter = r));
    }
  }

  /** Whether unread bytes wait (a relay must not answer before it is asked). */
  get pending(): boolean {
    return this.#buf.length > 0;
  }
}

/** The relay's text, safe for a log line and short. */
function said(text: string): string {
  const t = escapeLog(text);
  return t.length > 200 ? `${t.slice(0, 200)}...` : t;
}

async function reply(r: LineReader): Promise<Reply> {
  const lines: string[] = [];
  for (;;) {
    const l = await r.line();
    const m = /^([2-5]\d\d)([ -])(.*)$/.exec(l) ?? /^([2-5]\d\d)()$/.exec(l);
    if (m === null) throw new SmtpError(`the relay sent a malformed reply: "${said(l)}"`, false);
    if (lines.length > 0 && Number(m[1]) !== Number(lines[0]!.slice(0, 3))) {
      throw new SmtpError("the relay changed its reply code within a reply", false);
    }
    lines.push(l);
    if (lines.length > MAX_REPLY_LINES) {
      throw new SmtpError(`a reply has more than ${MAX_REPLY_LINES} lines`, false);
    }
    if (m[2] !== "-") return { code: Number(m[1]), text: lines.map((x) => x.slice(4)).join(" ") };
  }
}

/** Sends one command line and reads the answer, which must be `want` (a code's first digit). */
async function step(
  s: { sock: Socket; r: LineReader },
  line: string | undefined,
  want: number,
  what: string,
): Promise<Reply> {
  if (line !== undefined) {
    if (/[\r\n]/.test(line)) throw new SmtpError(`${what} holds a line break`, true);
    s.sock.write(`${line}\r\n`);
  }
  const rep = await reply(s.r);
  if (Math.floor(rep.code / 100) !== want) {
    throw new SmtpError(
      `the relay answered ${what} with ${rep.code} ${said(rep.text)}`,
      rep.code >= 500,
    );
  }
  return rep;
}

/** Dot-stuffs the message and ends it with `CRLF.CRLF`. */
export function dataBlock(message: string): string {
  const lines = message.split(/\r\n|\r|\n/).map((l) => (l.startsWith(".") ? `.${l}` : l));
  return `${lines.join("\r\n")}\r\n.\r\n`;
}

/** Switches the session to TLS after the relay agreed to STARTTLS. */
async function upgrade(s: { sock: Socket; r: LineReader }, o: SmtpSession): Promise<void> {
  s.r.detach();
  // SNI takes names only; an address is checked against the certificate's IP entries.
  const named = !isIP(o.host);
  const tls = tlsConnect({
    socket: s.sock,
    host: o.host,
    ...(named ? { servername: o.host } : {}),
    ...(o.ca === undefined ? {} : { ca: o.ca }),
  });
  await new Promise<void>((ok, no) => {
    tls.once("secureConnect", ok);
    tls.once("error", no);
  });
  s.sock = tls as unknown as Socket;
  s.r.attach(s.sock);
}

/** The session's steps, in RFC 5321's order. */
async function converse(s: { sock: Socket; r: LineReader }, o: SmtpSession, msg: string) {
  await step(s, undefined, 2, "the connection");
  let ehlo = await step(s, `EHLO ${o.helo}`, 2, "EHLO");
  if (o.startTls) {
    if (!/(^| )STARTTLS( |$)/i.test(ehlo.text.replace(/\s+/g, " "))) {
      throw new SmtpError(
        "the relay does not offer STARTTLS, which ALERT_SMTP_STARTTLS requires",
        false,
      );
    }
    await step(s, "STARTTLS", 2, "STARTTLS");
    if (s.r.pending) throw new SmtpError("the relay sent data before TLS began", false);
    await upgrade(s, o);
    ehlo = await step(s, `EHLO ${o.helo}`, 2, "EHLO");
  }
  await step(s, `MAIL FROM:<${o.from}>`, 2, "MAIL FROM");
  let accepted = 0;
  let refusal: SmtpError | undefined;
  for (const to of o.to) {
    try {
      await step(s, `RCPT TO:<${to}>`, 2, `RCPT TO <${to}>`);
      accepted++;
    } catch (e) {
      if (!(e instanceof SmtpError) || !/^the relay answered/.test(e.message)) throw e;
      refusal = e;
    }
  }
  if (accepted === 0) throw refusal ?? new SmtpError("no recipient", true);
  await step(s, "DATA", 3, "DATA");
  s.sock.write(dataBlock(msg));
  await step(s, undefined, 2, "the message");
  s.sock.write("QUIT\r\n");
}

/**
 * Sends one message through the relay.
 *
 * @param o The relay, the envelope and the time limit.
 * @param message Headers, blank line and body, lines joined by CRLF.
 * @param signal Ends the session early (shutdown).
 * @throws {SmtpError} when the relay refuses, answers badly, is too slow or cannot be reached.
 */
export async function sendMail(
  o: SmtpSession,
  message: string,
  signal?: AbortSignal,
): Promise<void> {
  const sock = createConnection({ host: o.host, port: o.port });
  const s = { sock, r: new LineReader(sock) };
  const timer = setTimeout(
    () => s.r.fail(new SmtpError(`no answer within ${o.timeoutMs} ms`, false)),
    o.timeoutMs,
  );
  const abort = () => s.r.fail(new SmtpError("the daemon is stopping", false));
  signal?.addEventListener("abort", abort);
  try {
    await converse(s, o, message);
  } catch (e) {
    const why = e instanceof SmtpError ? e.message : said((e as Error).message);
    throw new SmtpError(
      `Cannot send the alert mail through ${o.host}:${o.port}: ${why}`,
      e instanceof SmtpError && e.permanent,
    );
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
    s.r.detach();
    s.sock.on("error", () => {});
    s.sock.destroy();
    sock.destroy();
  }
}
