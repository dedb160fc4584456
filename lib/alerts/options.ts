/**
 * The alert settings from fwknopd.conf (`ALERTING_METHODS`,
 * `EMAIL_ADDRESSES` and the `ALERT_*` variables), checked once at load so a
 * bad value names its file, line and variable.
 *
 * @module
 */
import { hostname } from "../sys/files.ts";
import { ConfigError } from "../config/lexer.ts";
import type { ServerConfig } from "../config/server_conf.ts";

/** The event classes an alert can be sent for. */
export const ALERT_CLASSES = ["grant", "refusal", "replay", "fault"] as const;

/** One event class. */
export type AlertClass = (typeof ALERT_CLASSES)[number];

/** Where mail goes (the SMTP relay) and who gets it. */
export interface MailOptions {
  host: string;
  port: number;
  /** ALERT_SMTP_STARTTLS Y: the session must switch to TLS (certificate checked) or nothing is sent. */
  startTls: boolean;
  /** Envelope and header sender. */
  from: string;
  to: string[];
  /** The name this host gives in EHLO and in the subject. */
  helo: string;
  classes: ReadonlySet<AlertClass>;
}

/** Where the webhook posts. */
export interface WebhookOptions {
  url: URL;
  classes: ReadonlySet<AlertClass>;
}

/** The alert settings; `undefined` members are methods that are off. */
export interface AlertOptions {
  mail?: MailOptions;
  webhook?: WebhookOptions;
  /** Per attempt (connection, whole SMTP session or HTTP request), milliseconds. */
  timeoutMs: number;
  /** Attempts after the first one for an event that could not be delivered. */
  retries: number;
  /** Events each method holds while it delivers; past that the oldest is dropped. */
  queueSize: number;
}

/** fwknop 1.x's ALERTING_METHODS words, and ours for the webhook. */
const METHOD_WORDS = ["all", "noemail", "nosyslog", "nowebhook"] as const;

/** An address in an SMTP path: no spaces, brackets, quotes or control characters. */
const MAILBOX = /^[A-Za-z0-9!#$%&'*+\/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}$/;

/** HOST:PORT, IPv6 as [ADDR]:PORT. */
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

function fail(c: ServerConfig, name: string, msg: string): never {
  throw new ConfigError(c.origin(name), name, msg);
}

/** A comma-separated list, trimmed, without empty members. */
function list(v: string | undefined): string[] {
  return (v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** ALERT_EMAIL_EVENTS / ALERT_WEBHOOK_EVENTS: class names, or `all`. */
function classes(c: ServerConfig, name: string): Set<AlertClass> {
  const out = new Set<AlertClass>();
  for (const w of list(c.get(name)).map((s) => s.toLowerCase())) {
    if (w === "all") ALERT_CLASSES.forEach((k) => out.add(k));
    else if ((ALERT_CLASSES as readonly string[]).includes(w)) out.add(w as AlertClass);
    else fail(c, name, `"${w}" is not one of ${ALERT_CLASSES.join(", ")} or all`);
  }
  return out;
}

/** The machine's name for EHLO, reduced to what a domain may hold. */
function heloName(): string {
  const h = hostname().replace(/[^A-Za-z0-9.-]/g, "");
  return h === "" ? "localhost" : h;
}

function mailOptions(c: ServerConfig): MailOptions | undefined {
  const to = list(c.get("EMAIL_ADDRESSES"));
  for (const a of to) {
    if (!MAILBOX.test(a)) fail(c, "EMAIL_ADDRESSES", `"${a}" is not a mail address (user@domain)`);
  }
  if (to.length === 0) return undefined;
  const server = c.get("ALERT_SMTP_SERVER")!;
  const m = HOST_PORT.exec(server);
  const port = Number(m?.[3]);
  if (m === null || port < 1 || port > 65535) {
    fail(c, "ALERT_SMTP_SERVER", `"${server}" is not HOST:PORT (IPv6 as [ADDR]:PORT)`);
  }
  // The host name only when mail is configured (it needs --allow-sys=hostname).
  const helo = heloName();
  const from = c.get("ALERT_FROM") ?? `fwknopd@${helo}`;
  if (!MAILBOX.test(from)) fail(c, "ALERT_FROM", `"${from}" is not a mail address (user@domain)`);
  return {
    host: m[1] ?? m[2]!,
    port,
    startTls: c.bool("ALERT_SMTP_STARTTLS"),
    from,
    to,
    helo,
    classes: classes(c, "ALERT_EMAIL_EVENTS"),
  };
}

/** Loopback names: the only hosts a webhook may reach over plain http. */
function isLoopback(host: string): boolean {
  return host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]";
}

function webhookOptions(c: ServerConfig): WebhookOptions | undefined {
  const raw = c.get("ALERT_WEBHOOK_URL");
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(c, "ALERT_WEBHOOK_URL", `"${raw}" is not a URL`);
  }
  const plainOk = url.protocol === "http:" && isLoopback(url.hostname);
  if (url.protocol !== "https:" && !plainOk) {
    fail(c, "ALERT_WEBHOOK_URL", `"${raw}" is not https:// (plain http only to loopback)`);
  }
  return { url, classes: classes(c, "ALERT_WEBHOOK_EVENTS") };
}

/**
 * Reads the alert settings. ALERTING_METHODS keeps fwknop 1.x's words:
 * `ALL` (the default: every method whose destination is set), `noemail`,
 * `nosyslog` (accepted; syslog is chosen by `--syslog-enable`), and our
 * `nowebhook`.
 *
 * @param c The loaded configuration.
 * @returns The settings, or `undefined` when no alert method is on.
 * @throws {ConfigError} naming the file, line and variable of a bad value.
 */
export function alertOptions(c: ServerConfig): AlertOptions | undefined {
  const words = list(c.get("ALERTING_METHODS")).map((s) => s.toLowerCase());
  for (const w of words) {
    if (!(METHOD_WORDS as readonly string[]).includes(w)) {
      fail(c, "ALERTING_METHODS", `"${w}" is not ALL, noemail, nosyslog or nowebhook`);
    }
  }
  const mail = mailOptions(c);
  const webhook = webhookOptions(c);
  const o: AlertOptions = {
    timeoutMs: c.int("ALERT_TIMEOUT") * 1000,
    retries: c.int("ALERT_RETRIES"),
    queueSize: c.int("ALERT_QUEUE_SIZE"),
  };
  if (mail !== undefined && !words.includes("noemail")) o.mail = mail;
  if (webhook !== undefined && !words.includes("nowebhook")) o.webhook = webhook;
  return o.mail === undefined && o.webhook === undefined ? undefined : o;
}

/**
 * The `host:port` peers the daemon talks to for alerts, for Deno's
 * `--allow-net` (nothing when alerts are off or the settings are bad:
 * load reports those).
 *
 * @param c The configuration.
 * @returns The relay and the webhook host, each as `host:port`.
 */
export function alertPeers(c: ServerConfig): string[] {
  let o;
  try {
    o = alertOptions(c);
  } catch {
    return [];
  }
  const out: string[] = [];
  if (o?.mail !== undefined) {
    const h = o.mail.host.includes(":") ? `[${o.mail.host}]` : o.mail.host;
    out.push(`${h}:${o.mail.port}`);
  }
  if (o?.webhook !== undefined) {
    const u = o.webhook.url;
    out.push(`${u.hostname}:${u.port === "" ? (u.protocol === "https:" ? 443 : 80) : u.port}`);
  }
  return out;
}
