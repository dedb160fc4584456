/**
 * Grant propagation: a grant made by a stanza with `FLEET_GROUP name` is
 * signed with the fleet key and published to the group's Redis Stream;
 * every gateway of the group reads the stream, checks each message (see
 * receive.ts) and applies what its own access.conf allows, with the same
 * absolute expiry. A gateway keeps its position in Redis (after applying);
 * a position that is not a usable stream id is reported once and replaced
 * by the stream's oldest live entry, so grants keep flowing. Revocations
 * travel on one fleet-wide stream and close a source's grants on every
 * gateway.
 *
 * @module
 */
import { type Grant, grantSource } from "../../firewall/grant.ts";
import type { GrantTable } from "../../firewall/grants.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import type { LinkLog, RedisLink, StreamMessage } from "./link.ts";
import { FleetMemory } from "./memory.ts";
import { FLEET_MAX_PORTS, grantMessage, logSafe, newMessageId, revokeMessage } from "./message.ts";
import type { FleetOptions } from "./options.ts";
import { FleetReceiver, REVOKE_HOLD_SEC } from "./receive.ts";
import { compareIds, groupStream, idMs, isStreamId, positionKey, revokeStream } from "./streams.ts";
import { parseAddr } from "../net/addr.ts";

export { groupStream, positionKey, revokeStream } from "./streams.ts";

/** What `-S` shows of the fleet. */
export interface FleetStatus {
  gateway: string;
  redis: string;
  up: boolean;
  since: number;
  error?: string;
  /** How far behind the newest message this gateway is, per stream (ms). */
  lagMs: Record<string, number>;
  applied: number;
  published: number;
  pendingPublish: number;
}

/** Most grants held back while Redis is down (the oldest are dropped past it). */
const MAX_PENDING = 10000;
/** Where a reader starts in a stream whose stored position is unusable: the oldest entry. */
const OLDEST = "0-0";

/** The groups named by the stanzas. */
function groupsOf(stanzas: readonly AccessStanza[]): string[] {
  return [...new Set(stanzas.flatMap((s) => (s.fleetGroup === undefined ? [] : [s.fleetGroup])))];
}

/** A gateway's side of grant propagation. */
export class FleetGrants {
  readonly #link: RedisLink;
  readonly #o: FleetOptions & { key: Uint8Array };
  readonly #log: LinkLog;
  readonly #nowMs: () => number;
  readonly #rx: FleetReceiver;
  readonly #memory: FleetMemory;
  #streams: string[];
  readonly #pos = new Map<string, string>();
  readonly #pending: { stream: string; fields: Record<string, string> }[] = [];
  /** The last read failure reported (each different one is a warning once). */
  #lastError = "";
  #running: Promise<void> | undefined;
  #closed = false;
  readonly stats = { published: 0 };

  /**
   * @param link The Redis connection.
   * @param grants This gateway's grant table (`undefined` in `-t` mode: nothing applied).
   * @param o The fleet settings, with the fleet key.
   * @param stanzas This gateway's SPA stanzas (their FLEET_GROUPs are the streams read).
   * @param log Where decisions go.
   * @param nowMs The clock.
   * @param memory Seen ids and held revocations (default: in memory only).
   */
  constructor(
    link: RedisLink,
    grants: GrantTable | undefined,
    o: FleetOptions & { key: Uint8Array },
    stanzas: readonly AccessStanza[],
    log: LinkLog,
    nowMs: () => number = Date.now,
    memory: FleetMemory = new FleetMemory(),
  ) {
    this.#link = link;
    this.#o = o;
    this.#log = log;
    this.#nowMs = nowMs;
    this.#memory = memory;
    this.#rx = new FleetReceiver({
      fleet: o.name,
      gateway: o.gateway,
      key: o.key,
      skew: o.clockSkew ?? 60,
      grants,
      memory,
      log,
      nowMs,
    }, stanzas);
    this.#streams = this.#streamsFor(groupsOf(stanzas));
    link.onUp(() => void this.#flushPending());
  }

  #streamsFor(groups: readonly string[]): string[] {
    return [
      revokeStream(this.#o.name),
      ...[...new Set(groups)].map((g) => groupStream(this.#o.name, g)),
    ];
  }

  /** The stanzas changed (SIGHUP): new groups, new local policy. */
  setStanzas(stanzas: readonly AccessStanza[]): void {
    this.#rx.setStanzas(stanzas);
    this.#streams = this.#streamsFor(groupsOf(stanzas));
  }

  /** Counters: applied, skipped, refused (received) and published. */
  get counts(): { applied: number; skipped: number; refused: number; published: number } {
    return { ...this.#rx.stats, published: this.stats.published };
  }

  /** Starts reading the streams (in the background until `close`). */
  start(): void {
    this.#running ??= this.#loop();
  }

  /**
   * Publishes a grant this gateway made to its group, signed. While Redis
   * is down it is held (up to 10,000) and sent on reconnect; receivers
   * skip it if it has expired by then. A network grant
   * (GRANT_SOURCE_PREFIX_V4/_V6) is not published: the message carries one
   * address, and no other gateway's stanza has agreed to open a network.
   */
  async publish(group: string, g: Grant): Promise<void> {
    if (g.srcPrefix !== undefined) {
      this.#log(
        "warning",
        `Grant for ${grantSource(g)} opens a network (GRANT_SOURCE_PREFIX_V4/_V6): ` +
          "not published to the fleet",
      );
      return;
    }
    if (g.nat !== undefined) {
      this.#log("debug", `Grant for ${g.src.text} uses NAT: not published to the fleet`);
      return;
    }
    if (g.ports.length > FLEET_MAX_PORTS) {
      this.#log(
        "warning",
        `Grant for ${g.src.text} opens ${g.ports.length} ports (more than ${FLEET_MAX_PORTS}): ` +
          "not published to the fleet",
      );
      return;
    }
    const stream = groupStream(this.#o.name, group);
    const item = {
      stream,
      fields: grantMessage(this.#o.key, stream, {
        id: newMessageId(),
        gw: this.#o.gateway,
        at: this.#nowMs(),
        src: g.src,
        ...(g.dst === undefined ? {} : { dst: g.dst }),
        ports: [...g.ports],
        exp: g.expiresAt,
        stanza: g.origin.stanza,
      }),
    };
    if (!(await this.#send(item))) {
      if (this.#pending.length >= MAX_PENDING) this.#pending.shift();
      this.#pending.push(item);
    }
  }

  async #send(item: { stream: string; fields: Record<string, string> }): Promise<boolean> {
    if (!this.#link.up) return false;
    try {
      await this.#link.xAdd(item.stream, item.fields, this.#o.maxLen);
      this.stats.published++;
      return true;
    } catch (e) {
      this.#log("warning", `Cannot publish a grant to the fleet yet: ${(e as Error).message}`);
      return false;
    }
  }

  async #flushPending(): Promise<void> {
    while (this.#pending.length > 0) {
      if (!(await this.#send(this.#pending[0]!))) return;
      this.#pending.shift();
    }
  }

  async #loop(): Promise<void> {
    let loaded = false;
    while (!this.#closed) {
      if (!this.#link.up) {
        await sleep(200);
        continue;
      }
      try {
        if (!loaded) {
          await this.#loadPositions();
          loaded = true;
        }
        const from = this.#streams.map((key) => ({ key, id: this.#pos.get(key) ?? OLDEST }));
        const msgs = await this.#link.xRead(from);
        if (this.#closed) break;
        await this.#applyAll(msgs);
        this.#lastError = "";
      } catch (e) {
        if (this.#closed) break;
        this.#readFailed((e as Error).message);
        loaded = false;
        await sleep(500);
      }
    }
  }

  /** A read failure: a warning the first time, debug while it repeats. */
  #readFailed(why: string): void {
    const repeat = why === this.#lastError;
    this.#lastError = why;
    this.#log(repeat ? "debug" : "warning", `Fleet stream read failed: ${logSafe(why)}`);
    if (/invalid stream id/i.test(why)) {
      // Belt and braces: #loadPositions checks each one, so this is not expected.
      for (const s of this.#streams) this.#pos.set(s, OLDEST);
    }
  }

  /**
   * Reads the stored positions. One that is not a stream id, or lies past
   * the stream's newest entry (the stream would look silent for ever), is
   * reported once and replaced by the oldest live entry: every message the
   * stream still holds is read again, and the ids already taken do nothing.
   */
  async #loadPositions(): Promise<void> {
    for (const s of this.#streams) {
      if (this.#pos.has(s)) continue;
      const p = await this.#link.get(positionKey(this.#o.name, this.#o.gateway, s));
      if (p === null) continue;
      const last = isStreamId(p) ? await this.#link.lastId(s) : undefined;
      if (last !== undefined && compareIds(p, last) <= 0) {
        this.#pos.set(s, p);
        continue;
      }
      if (last === undefined && isStreamId(p) && idMs(p) <= this.#nowMs()) {
        this.#pos.set(s, p); // an empty (or trimmed) stream: nothing is skipped
        continue;
      }
      this.#log(
        "warning",
        `The stored fleet position "${logSafe(p)}" for ${s} is not a usable stream id; ` +
          "reading that stream from its oldest entry",
      );
      this.#pos.set(s, OLDEST);
    }
  }

  /** Applies a batch: revocations first, then grants; positions saved after. */
  async #applyAll(msgs: StreamMessage[]): Promise<void> {
    const rev = revokeStream(this.#o.name);
    const ordered = [
      ...msgs.filter((m) => m.stream === rev),
      ...msgs.filter((m) => m.stream !== rev),
    ];
    const moved = new Set<string>();
    for (const m of ordered) {
      await this.#rx.handle(m);
      this.#pos.set(m.stream, m.id);
      moved.add(m.stream);
    }
    if (moved.size > 0) this.#memory.save(Math.floor(this.#nowMs() / 1000));
    for (const s of moved) {
      await this.#link.set(positionKey(this.#o.name, this.#o.gateway, s), this.#pos.get(s)!);
    }
  }

  /** The state `-S` shows (lag is measured against each stream's newest message). */
  async status(): Promise<FleetStatus> {
    const st = this.#link.state;
    const lagMs: Record<string, number> = {};
    if (this.#link.up) {
      for (const s of this.#streams) {
        try {
          const last = await this.#link.lastId(s);
          const pos = this.#pos.get(s);
          lagMs[s] = last === undefined || last === pos ? 0 : idMs(last) - idMs(pos ?? "0-0");
        } catch {
          // down meanwhile: the state says so
        }
      }
    }
    return {
      gateway: this.#o.gateway,
      redis: this.#link.where,
      up: st.up,
      since: st.since,
      ...(st.error === undefined ? {} : { error: st.error }),
      lagMs,
      applied: this.#rx.stats.applied,
      published: this.stats.published,
      pendingPublish: this.#pending.length,
    };
  }

  /** Stops reading (the blocked read ends within a second). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }
}

/**
 * Publishes a signed revocation for a source to the whole fleet
 * (`--fleet-revoke`). It asks to be held for a day; every gateway holds it
 * at least until the grants it can have closed have expired.
 *
 * @param link The Redis connection.
 * @param o The fleet settings.
 * @param src The address.
 * @param nowMs The clock.
 * @returns The stream id of the message.
 * @throws {TypeError} when the settings have no fleet key or `src` is not an address.
 */
export async function publishRevoke(
  link: RedisLink,
  o: FleetOptions,
  src: string,
  nowMs: number = Date.now(),
): Promise<string> {
  const addr = parseAddr(src);
  if (o.key === undefined) throw new TypeError("Cannot publish a revocation: no fleet key");
  if (addr === undefined) {
    throw new TypeError(`Cannot publish a revocation: "${src}" is no address`);
  }
  const stream = revokeStream(o.name);
  const fields = revokeMessage(o.key, stream, {
    id: newMessageId(),
    by: o.gateway,
    at: nowMs,
    src: addr,
    exp: Math.floor(nowMs / 1000) + REVOKE_HOLD_SEC,
  });
  return await link.xAdd(stream, fields, o.maxLen);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
