/**
 * The receive side of grant propagation: one stream entry at a time,
 * cheapest check first. The MAC under the fleet key (nothing unsigned is
 * used), the message id (each taken once, remembered until its expiry),
 * revocations held locally, then this gateway's own access.conf (see
 * admit.ts). Every refusal is a reason; every value from Redis is escaped
 * before it reaches a log line, and refusals are logged at most once per
 * reason every 10 seconds (with the count since).
 *
 * @module
 */
import type { Grant } from "../../firewall/grant.ts";
import { portsText } from "../../firewall/grant.ts";
import type { GrantTable } from "../../firewall/grants.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import { admitGrant, stanzaMaxTimeout } from "./admit.ts";
import type { LinkLog, StreamMessage } from "./link.ts";
import type { FleetMemory } from "./memory.ts";
import { type FleetGrantMsg, type FleetRevokeMsg, logSafe, readMessage } from "./message.ts";
import { revokeStream, streamGroup } from "./streams.ts";

/** A refusal of one kind is logged at most this often (ms). */
const LOG_EVERY_MS = 10_000;
/** The longest a revocation may ask to be held past its time (s): one day. */
export const REVOKE_HOLD_SEC = 86_400;

/** Counters for `-S` and tests. */
export interface ReceiveStats {
  applied: number;
  skipped: number;
  refused: number;
}

/** What the receiver needs from its owner. */
export interface ReceiverDeps {
  fleet: string;
  gateway: string;
  key: Uint8Array;
  skew: number;
  grants: GrantTable | undefined;
  memory: FleetMemory;
  log: LinkLog;
  nowMs: () => number;
}

/** Takes verified messages and applies what this gateway's policy allows. */
export class FleetReceiver {
  readonly #d: ReceiverDeps;
  #stanzas: readonly AccessStanza[];
  readonly #quiet = new Map<string, { at: number; missed: number }>();
  readonly stats: ReceiveStats = { applied: 0, skipped: 0, refused: 0 };

  /**
   * @param d The settings and parts.
   * @param stanzas This gateway's SPA stanzas.
   */
  constructor(d: ReceiverDeps, stanzas: readonly AccessStanza[]) {
    this.#d = d;
    this.#stanzas = stanzas;
  }

  /** SIGHUP: the stanzas changed. */
  setStanzas(stanzas: readonly AccessStanza[]): void {
    this.#stanzas = stanzas;
  }

  /** A warning, at most once per `kind` every 10 s. */
  #refuse(kind: string, msg: string): void {
    this.stats.refused++;
    const now = this.#d.nowMs();
    const q = this.#quiet.get(kind);
    if (q !== undefined && now - q.at < LOG_EVERY_MS) {
      q.missed++;
      return;
    }
    const more = q !== undefined && q.missed > 0 ? ` (and ${q.missed} more since the last)` : "";
    this.#quiet.set(kind, { at: now, missed: 0 });
    this.#d.log("warning", `${msg}${more}`);
  }

  /**
   * Handles one stream entry.
   *
   * @param m The entry as read from Redis.
   */
  async handle(m: StreamMessage): Promise<void> {
    const where = `${logSafe(m.id)} in ${logSafe(m.stream)}`;
    const r = readMessage(this.#d.key, m.stream, m.fields);
    if (!r.ok) {
      this.#refuse(
        r.reason,
        r.reason === "bad-mac"
          ? `Refused fleet message ${where}: its MAC does not match the fleet key`
          : `Refused fleet message ${where}: malformed or unsigned`,
      );
      return;
    }
    const msg = r.msg;
    if (this.#d.memory.seen(msg.id)) {
      this.#refuse("replay", `Refused fleet message ${where}: message ${msg.id} was taken before`);
      return;
    }
    if (msg.kind === "revoke") {
      if (m.stream !== revokeStream(this.#d.fleet)) return; // the MAC binds the stream
      await this.#revoke(msg, where);
    } else {
      const group = streamGroup(this.#d.fleet, m.stream);
      if (group !== undefined) await this.#apply(msg, group, where);
    }
  }

  /** The longest grant any local stanza makes (s). */
  #maxLife(): number {
    return this.#stanzas.reduce((n, s) => Math.max(n, stanzaMaxTimeout(s)), 0);
  }

  async #revoke(r: FleetRevokeMsg, where: string): Promise<void> {
    const now = Math.floor(this.#d.nowMs() / 1000);
    const at = Math.floor(r.at / 1000);
    // Held until every grant made before it can have expired, here or as the sender says.
    const until = Math.max(r.exp, at + this.#maxLife() + 2 * this.#d.skew);
    if (at > now + this.#d.skew || r.exp - at > REVOKE_HOLD_SEC + this.#d.skew) {
      this.#refuse("revoke-time", `Refused fleet revocation ${where}: its times are out of bounds`);
      return;
    }
    this.#d.memory.remember(r.id, until);
    if (until <= now) {
      this.stats.skipped++;
      return;
    }
    this.#d.memory.revoke(r.src.text, r.at, until);
    if (this.#d.grants === undefined) return;
    const n = await this.#d.grants.revoke(r.src, `fleet revocation from ${r.by}`);
    this.#d.log(
      "info",
      `Fleet revocation of ${r.src.text} from ${r.by}: ${n} grant(s) closed here`,
    );
  }

  async #apply(g: FleetGrantMsg, group: string, where: string): Promise<void> {
    const d = this.#d;
    if (g.gw === d.gateway) return; // made (and applied) here
    d.memory.remember(g.id, g.exp);
    const what = `${g.src.text} ${logSafe(portsText(g.ports))} from gateway ${g.gw}`;
    if (d.memory.revoked(g.src.text, g.at)) {
      this.stats.skipped++;
      d.log("info", `Fleet grant for ${what} was revoked: not applied`);
      return;
    }
    const now = Math.floor(d.nowMs() / 1000);
    const ok = admitGrant(g, group, this.#stanzas, now, d.skew);
    if (!ok.ok) {
      if (ok.reason === "expired") {
        this.stats.skipped++;
        d.log("info", `Fleet grant for ${what} expired at ${g.exp}: not applied`);
      } else {
        this.#refuse(
          `policy-${ok.reason}`,
          `Refused fleet grant ${where} for ${what}: ${REFUSAL_TEXT[ok.reason]}`,
        );
      }
      return;
    }
    if (d.grants === undefined) return;
    const grant: Grant = {
      src: g.src,
      ports: g.ports,
      expiresAt: g.exp,
      origin: { stanza: ok.stanza.index, pktSrc: g.src, via: "fleet", gateway: g.gw },
    };
    if (g.dst !== undefined) grant.dst = g.dst;
    d.log("info", `Fleet grant for ${what}, expires at ${g.exp} (stanza ${ok.stanza.index} here)`);
    const res = await d.grants.open(grant);
    if (res === "opened" || res === "extended") this.stats.applied++;
  }
}

const REFUSAL_TEXT = {
  "no-stanza": "no stanza here has that FLEET_GROUP and opens ports itself",
  "source": "the address is outside SOURCE of every stanza of the group here",
  "ports": "the ports are not allowed by OPEN_PORTS / RESTRICT_PORTS here",
  "too-long": "the expiry is later than the stanza's longest timeout plus FLEET_CLOCK_SKEW",
} as const;
