/**
 * Starts the alerts for a daemon run: reads the settings, makes the
 * dispatcher, and taps the logger so every line is seen.
 *
 * @module
 */
import type { ServerConfig } from "../config/server_conf.ts";
import type { DaemonLogger } from "./log.ts";
import { Alerts } from "../alerts/alerts.ts";
import { alertOptions } from "../alerts/options.ts";

/** The variables alerts read at start; a change waits for a restart (SIGHUP says so). */
export const ALERT_VARS: readonly string[] = [
  "ALERTING_METHODS",
  "EMAIL_ADDRESSES",
  "ALERT_SMTP_SERVER",
  "ALERT_SMTP_STARTTLS",
  "ALERT_FROM",
  "ALERT_EMAIL_EVENTS",
  "ALERT_WEBHOOK_URL",
  "ALERT_WEBHOOK_EVENTS",
  "ALERT_TIMEOUT",
  "ALERT_RETRIES",
  "ALERT_QUEUE_SIZE",
];

/**
 * Starts alerts when a method is configured.
 *
 * @param c The configuration (checked at load).
 * @param log The daemon's logger; its tap is set.
 * @returns The dispatcher, or `undefined` when alerts are off.
 */
export function startAlerts(c: ServerConfig, log: DaemonLogger): Alerts | undefined {
  const o = alertOptions(c);
  if (o === undefined) return undefined;
  const host = o.mail?.helo ?? "localhost";
  const alerts = new Alerts(o, { log, host });
  const what = (s: ReadonlySet<string>) => [...s].join(",") || "nothing";
  if (o.mail !== undefined) {
    const m = o.mail;
    log.log(
      "info",
      `Alerts: mail for ${what(m.classes)} to ${m.to.join(", ")} through ${m.host}:${m.port}` +
        (m.startTls ? " (STARTTLS required)" : ""),
    );
  }
  if (o.webhook !== undefined) {
    const u = o.webhook.url;
    log.log("info", `Alerts: webhook for ${what(o.webhook.classes)} to ${u.protocol}//${u.host}`);
  }
  log.tap = (level, msg, event) => alerts.note(level, msg, event);
  return alerts;
}
