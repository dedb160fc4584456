/**
 * Grant propagation: a grant made by a stanza with `FLEET_GROUP name` is
 * published to the group's Redis Stream; every gateway of the group reads
 * the stream and applies each grant through its own grant table and
 * firewall, with the same absolute expiry. A gateway keeps its position in
 * Redis (after applying), so after a restart or an outage it catches up
 * from where it stopped; applying twice is harmless (a grant already live
 * until then is not opened again), so nothing is lost or doubled. Grants
 * whose expiry has passed are skipped. Revocations travel on one
 * fleet-wide stream and close a source's grants on every gateway.
 *
 * @module
 */
import type { GrantTable } from "../../firewall/grants.ts";
import { type Grant, portsText, type ProtoPort } from "../../firewall/grant.ts";
import { parseAddr } from "../net/addr.ts";
import type { LinkLog, RedisLink, StreamMessage } from "./link.ts";
import type { FleetOptions } from "./options.ts";

/** The stream of a group's grants. */
export function groupStream(fleet: string, group: string): string {
  return `fwknop:${fleet}:grants:${group}`;
}

/** The fleet-wide stream of revocations. */
export function revokeStream(fleet: string): string {
  return `fwknop:${fleet}:revoke`;
}

/** Where a gateway keeps its position in a stream. */
export function positionKey(fleet: string, gateway: string, stream: string): string {
  return `fwknop:${fleet}:pos:${gateway}:${stream}`;
}

/** A grant as stream fields (no NAT: a translation belongs to the gateway that made it). */
export function grantFields(g: Grant, gateway: string): Record<string, string> {
  return {
    kind: "grant",
    gw: gateway,
    src: g.src.text,
    dst: g.dst?.text ?? "",
    ports: portsText(g.ports),
    exp: String(g.expiresAt),
    stanza: String(g.origin.stanza),
  };
}

/** Reads stream fields back into a grant; `undefined` for anything malformed. */
export function fieldsGrant(f: Record<string, string>): Grant | undefined {
  const src = parseAddr(f.src ?? "");
  const exp = Number(f.exp);
  const stanza = Number(f.stanza ?? 0);
  if (src === undefined || !Number.isSafeInteger(exp) || f.gw === undefined) return undefined;
  const ports: ProtoPort[] = [];
  for (const p of (f.ports ?? "").split(",")) {
    const m = /^(tcp|udp)\/(\d{1,5})$/.exec(p);
    if (m === null || Number(m[2]) > 65535) return undefined;
    ports.push({ proto: m[1] as "tcp" | "udp", port: Number(m[2]) });
  }
  const g: Grant = {
    src,
    ports,
    expiresAt: exp,
    origin: {
      stanza: Number.isSafeInteger(stanza) ? stanza : 0,
      pktSrc: src,
      via: "fleet",
      gateway: f.gw,
    },
  };
  if (f.dst) {
    const dst = parseAddr(f.dst);
    if (dst === undefined) return undefined;
    g.dst = dst;
  }
  return g;
}

/** Milliseconds of a stream id (`1700000000000-0`). */
function idMs(id: string): number {
  return Number(id.split("-")[0]);
}

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

/** A gateway's side of grant propagation. */
export class FleetGrants {
  readonly #link: RedisLink;
  readonly #grants: GrantTable | undefined;
  readonly #o: FleetOptions;
  readonly #log: LinkLog;
  readonly #nowMs: () => number;
  #streams: string[];
  readonly #pos = new Map<string, string>();
  /** When each source was last revoked (ms): older grant messages for it are skipped. */
  readonly #revokedAt = new Map<string, number>();
  readonly #pending: { stream: string; fields: Record<string, string> }[] = [];
  #running: Promise<void> | undefined;
  #closed = false;
  readonly stats = { applied: 0, published: 0, skipped: 0 };

  /**
   * @param link The Redis connection.
   * @param grants This gateway's grant table (`undefined` in `-t` mode: nothing applied).
   * @param o The fleet settings.
   * @param groups The groups this gateway belongs to (its stanzas' FLEET_GROUP).
   */
  constructor(
    link: RedisLink,
    grants: GrantTable | undefined,
    o: FleetOptions,
    groups: readonly string[],
    log: LinkLog,
    nowMs: () => number = Date.now,
  ) {
    this.#link = link;
    this.#grants = grants;
    this.#o = o;
    this.#log = log;
    this.#nowMs = nowMs;
    this.#streams = this.#streamsFor(groups);
    link.onUp(() => void this.#flushPending());
  }

  #streamsFor(groups: readonly string[]): string[] {
    return [
      revokeStream(this.#o.name),
      ...[...new Set(groups)].map((g) => groupStream(this.#o.name, g)),
    ];
  }

  /** The groups changed (SIGHUP): read the streams of the new set. */
  setGroups(groups: readonly string[]): void {
    this.#streams = this.#streamsFor(groups);
  }

  /** Starts reading the streams (in the background until `close`). */
  start(): void {
    this.#running ??= this.#loop();
  }

  /**
   * Publishes a grant this gateway made to its group. While Redis is down
   * it is held (up to 10,000) and sent on reconnect; receivers skip it if
   * it has expired by then.
   */
  async publish(group: string, g: Grant): Promise<void> {
    if (g.nat !== undefined) {
      this.#log("debug", `Grant for ${g.src.text} uses NAT: not published to the fleet`);
      return;
    }
    const item = {
      stream: groupStream(this.#o.name, group),
      fields: grantFields(g, this.#o.gateway),
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
        const from = this.#streams.map((key) => ({ key, id: this.#pos.get(key) ?? "0" }));
        const msgs = await this.#link.xRead(from);
        if (this.#closed) break;
        await this.#applyAll(msgs);
      } catch (e) {
        if (this.#closed) break;
        this.#log("debug", `Fleet stream read failed: ${(e as Error).message}`);
        loaded = false;
        await sleep(500);
      }
    }
  }

  async #loadPositions(): Promise<void> {
    for (const s of this.#streams) {
      if (this.#pos.has(s)) continue;
      const p = await this.#link.get(positionKey(this.#o.name, this.#o.gateway, s));
      if (p !== null) this.#pos.set(s, p);
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
      if (m.stream === rev) await this.#revoke(m);
      else await this.#apply(m);
      this.#pos.set(m.stream, m.id);
      moved.add(m.stream);
    }
    for (const s of moved) {
      await this.#link.set(positionKey(this.#o.name, this.#o.gateway, s), this.#pos.get(s)!);
    }
  }

  async #revoke(m: StreamMessage): Promise<void> {
    const src = parseAddr(m.fields.src ?? "");
    if (src === undefined) return;
    this.#revokedAt.set(src.text, idMs(m.id));
    if (this.#grants === undefined) return;
    const by = m.fields.by ?? "?";
    const n = await this.#grants.revoke(src, `fleet revocation from ${by}`);
    this.#log("info", `Fleet revocation of ${src.text} from ${by}: ${n} grant(s) closed here`);
  }

  async #apply(m: StreamMessage): Promise<void> {
    const f = m.fields;
    if (f.gw === this.#o.gateway) return; // made (and applied) here
    const g = fieldsGrant(f);
    if (g === undefined) {
      this.#log("warning", `Ignoring a malformed fleet message ${m.id} in ${m.stream}`);
      return;
    }
    const what = `${g.src.text} ${portsText(g.ports)} from gateway ${f.gw}`;
    const now = Math.floor(this.#nowMs() / 1000);
    if (g.expiresAt <= now) {
      this.stats.skipped++;
      this.#log("info", `Fleet grant for ${what} expired at ${g.expiresAt}: not applied`);
      return;
    }
    if ((this.#revokedAt.get(g.src.text) ?? -1) >= idMs(m.id)) {
      this.stats.skipped++;
      this.#log("info", `Fleet grant for ${what} was revoked: not applied`);
      return;
    }
    if (this.#grants === undefined) return;
    this.#log("info", `Fleet grant for ${what}, expires at ${g.expiresAt}`);
    const r = await this.#grants.open(g);
    if (r === "opened" || r === "extended") this.stats.applied++;
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
      applied: this.stats.applied,
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
 * Publishes a revocation for a source to the whole fleet (`--fleet-revoke`).
 *
 * @returns The message id.
 */
export async function publishRevoke(
  link: RedisLink,
  o: FleetOptions,
  src: string,
): Promise<string> {
  return await link.xAdd(revokeStream(o.name), { kind: "revoke", src, by: o.gateway }, o.maxLen);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
