/**
 * The alert dispatcher: sees every log line (the logger's tap) and every
 * grant (the engine), sorts each into a class, and hands it to the mail
 * and webhook channels that want that class. It never waits: channels
 * queue and deliver on their own. Its own lines (delivery failures, drops)
 * are logged but never alerted, so a dead relay cannot feed itself.
 *
 * @module
 */
import type { Grant } from "../../firewall/grant.ts";
import type { Level, Logger, StructuredEvent } from "../log/event.ts";
import { AlertChannel, type Deliver } from "./channel.ts";
import { classify } from "./classify.ts";
import { type CommandNotice, grantEvent } from "./grant_event.ts";
import { buildMail } from "./mail.ts";
import type { AlertOptions } from "./options.ts";
import { alertRecord } from "./record.ts";
import type { sendMail } from "./smtp.ts";
import { type FetchLike, postAlert } from "./webhook.ts";

/** What the dispatcher needs around it. */
export interface AlertDeps {
  /** Where delivery failures and drops are reported (as warnings). */
  log: Pick<Logger, "log">;
  /** This host's name, in every record. */
  host: string;
  /** Replace the real senders (tests). */
  sendMail?: typeof sendMail;
  fetch?: FetchLike;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  nowMs?: () => number;
}

/** The daemon's alerts. */
export class Alerts {
  readonly #channels: { ch: AlertChannel; classes: ReadonlySet<string> }[] = [];
  readonly #host: string;
  readonly #log: Pick<Logger, "log">;
  readonly #timeoutMs: number;
  /** Set while the dispatcher logs its own line: that line is not alerted. */
  #own = false;
  #seq = 0;

  constructor(o: AlertOptions, d: AlertDeps) {
    this.#host = d.host;
    this.#log = d.log;
    this.#timeoutMs = o.timeoutMs;
    const common = {
      queueSize: o.queueSize,
      retries: o.retries,
      report: (msg: string) => this.#warn(msg),
      ...(d.sleep === undefined ? {} : { sleep: d.sleep }),
      ...(d.nowMs === undefined ? {} : { nowMs: d.nowMs }),
    };
    const m = o.mail;
    if (m !== undefined) {
      // The SMTP client (node:net, node:tls) loads with the first mail only.
      const send: typeof sendMail = d.sendMail ??
        (async (...a) => (await import("./smtp.ts")).sendMail(...a));
      const deliver: Deliver = (rec, signal) =>
        send(
          { ...m, timeoutMs: o.timeoutMs },
          buildMail(rec, m, `${Date.now().toString(36)}.${this.#seq++}`),
          signal,
        );
      this.#channels.push({
        ch: new AlertChannel("mail", { ...common, deliver }),
        classes: m.classes,
      });
    }
    const w = o.webhook;
    if (w !== undefined) {
      const deliver: Deliver = (rec, signal) => postAlert(w.url, rec, o.timeoutMs, signal, d.fetch);
      this.#channels.push({
        ch: new AlertChannel("webhook", { ...common, deliver }),
        classes: w.classes,
      });
    }
  }

  #warn(msg: string): void {
    this.#own = true;
    try {
      this.#log.log("warning", msg);
    } finally {
      this.#own = false;
    }
  }

  /**
   * The logger's tap: one line, alerted when its class is wanted.
   *
   * @param level The line's level.
   * @param msg The line (escaped).
   * @param event Its policy event, if any.
   */
  note(level: Level, msg: string, event?: StructuredEvent): void {
    if (this.#own) return;
    const cls = classify(level, event);
    if (cls === undefined) return;
    let rec;
    for (const { ch, classes } of this.#channels) {
      if (!classes.has(cls)) continue;
      rec ??= alertRecord(cls, level, msg, event, this.#host);
      ch.offer(rec);
    }
  }

  /**
   * The engine's notice of a grant opened or extended, or a command run.
   *
   * @param what The grant or the command.
   */
  granted(what: Grant | CommandNotice): void {
    const { msg, event } = grantEvent(what);
    this.note("info", msg, event);
  }

  /** The channels, for counters and tests. */
  get channels(): readonly AlertChannel[] {
    return this.#channels.map((c) => c.ch);
  }

  /**
   * Stops every channel: alerts in hand get up to one time limit
   * (ALERT_TIMEOUT) to go out; the rest are dropped and counted.
   */
  async close(): Promise<void> {
    await Promise.all(this.#channels.map((c) => c.ch.close(this.#timeoutMs)));
    for (const { ch } of this.#channels) {
      const s = ch.stats;
      this.#own = true;
      try {
        this.#log.log(
          "info",
          `Alerts (${ch.name}): ${s.sent} sent, ${s.failed} failed, ${s.dropped} dropped`,
        );
      } finally {
        this.#own = false;
      }
    }
  }
}
