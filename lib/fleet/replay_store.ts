/**
 * The fleet's replay cache: one record per accepted packet in Redis
 * (`SET key value NX PX ttl`), so a packet accepted by one gateway is a
 * replay on every other. The local cache (fwknopd's digest file) keeps a
 * copy of what this gateway accepted, for restarts and for Redis outages.
 *
 * While Redis cannot be reached, FLEET_ON_REDIS_DOWN decides: `closed`
 * refuses every packet (no record, no access); `local` checks and records
 * in the local cache only, and when Redis is back every local record still
 * young enough to matter is pushed to it, so it is a replay fleet-wide.
 *
 * @module
 */
import type { Claimed, ReplayCache, ReplayEntry } from "../replay/cache.ts";
import type { LinkLog, RedisLink } from "./link.ts";
import type { OnRedisDown } from "./options.ts";

/** What a fleet record holds: fwknopd's digest-file facts and the gateway. */
export interface FleetReplayEntry extends ReplayEntry {
  gateway: string;
}

/** How the fleet cache is set up. */
export interface FleetReplayOptions {
  /** FLEET_NAME: the key namespace. */
  fleet: string;
  /** FLEET_GATEWAY. */
  gateway: string;
  onDown: OnRedisDown;
  log: LinkLog;
  /** Milliseconds since the epoch. */
  nowMs?: () => number;
  /** The TTL (seconds, 0: for ever) for local records of earlier runs, when pushed. */
  ttlSec: number;
}

/** The Redis key of a digest. */
export function replayKey(fleet: string, digest: string): string {
  return `fwknop:${fleet}:replay:${digest}`;
}

/** Reads a record written by `claim`; anything else gives `undefined`. */
export function parseFleetEntry(text: string | null): FleetReplayEntry | undefined {
  if (text === null) return undefined;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const num = (k: string) => (typeof v[k] === "number" ? v[k] as number : 0);
    const str = (k: string) => (typeof v[k] === "string" ? v[k] as string : "?");
    return {
      proto: num("proto"),
      srcIp: str("srcIp"),
      srcPort: num("srcPort"),
      dstIp: str("dstIp"),
      dstPort: num("dstPort"),
      time: num("time"),
      gateway: str("gateway"),
    };
  } catch {
    return undefined;
  }
}

/** The replay cache of a fleet. */
export class FleetReplayCache implements ReplayCache {
  readonly #link: RedisLink;
  readonly #local: ReplayCache;
  readonly #o: FleetReplayOptions;
  /** TTL (seconds) of what was claimed, for pushing local records later. */
  readonly #ttl = new Map<string, number>();
  /** Digests claimed locally while Redis was unreachable (checked for doubles on push). */
  readonly #outage = new Set<string>();
  /** A local-only period is going on (logged once at its start). */
  #localOnly = false;
  /** Counts for `-S` and the log. */
  readonly stats = { claimed: 0, replays: 0, local: 0, refusedDown: 0, pushed: 0 };

  /**
   * @param link The Redis connection.
   * @param local The local cache (the digest file, or memory).
   * @param o Names, policy and log.
   */
  constructor(link: RedisLink, local: ReplayCache, o: FleetReplayOptions) {
    this.#link = link;
    this.#local = local;
    this.#o = o;
    link.onUp(() => void this.sync());
  }

  /** What this gateway knows (its own records): a cheap early refusal. */
  get(digest: string): ReplayEntry | undefined {
    return this.#local.get(digest);
  }

  async claim(digest: string, e: ReplayEntry, ttlSec = 0): Promise<Claimed> {
    const mine = this.#local.get(digest);
    if (mine !== undefined) return mine;
    let why = this.#link.state.error ?? "not connected";
    let wrote = false;
    if (this.#link.up) {
      // The local copy is written whatever Redis answers: a copy refused
      // here as a replay is then refused here again without a round trip.
      const key = replayKey(this.#o.fleet, digest);
      const value = JSON.stringify({ ...e, gateway: this.#o.gateway });
      const shared = this.#link.setNx(key, value, ttlSec * 1000).catch((err) => err as Error);
      wrote = await this.#localCopy(digest, e);
      const r = await shared;
      if (r === true) {
        this.stats.claimed++;
        this.#ttl.set(digest, ttlSec);
        return undefined;
      }
      if (r === false) {
        this.stats.replays++;
        // Gone between the two calls (expired): still a replay, with our facts.
        return parseFleetEntry(await this.#link.get(key).catch(() => null)) ?? e;
      }
      why = r.message;
    }
    if (this.#o.onDown === "closed") {
      this.stats.refusedDown++;
      throw new Error(
        `the fleet's replay cache (Redis at ${this.#link.where}) cannot be reached (${why}); ` +
          "FLEET_ON_REDIS_DOWN is closed",
      );
    }
    if (!this.#localOnly) {
      this.#localOnly = true;
      this.#o.log(
        "warning",
        `Redis at ${this.#link.where} cannot be reached (${why}): replays are checked against ` +
          "this gateway's own cache only until it is back (FLEET_ON_REDIS_DOWN local)",
      );
    }
    // Already written above when Redis failed mid-claim: that record is this claim's.
    const r = wrote ? undefined : await this.#local.claim(digest, e);
    if (r === undefined) {
      this.stats.local++;
      this.#ttl.set(digest, ttlSec);
      this.#outage.add(digest);
    }
    return r;
  }

  /** Writes the local copy; a failure is logged (the shared record is the authority). */
  async #localCopy(digest: string, e: ReplayEntry): Promise<boolean> {
    try {
      return (await this.#local.claim(digest, e)) === undefined;
    } catch (err) {
      this.#o.log("warning", `Local copy of a fleet replay record: ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * Pushes local records that may still matter to Redis (after an outage,
   * and at start): each keeps its remaining TTL; one recorded elsewhere
   * meanwhile was accepted twice, which is logged.
   *
   * @returns How many records were pushed.
   */
  async sync(): Promise<number> {
    this.#localOnly = false;
    const now = Math.floor((this.#o.nowMs ?? Date.now)() / 1000);
    let pushed = 0;
    for (const [digest, entry] of [...this.#local.entries()]) {
      const ttl = this.#ttl.get(digest) ?? this.#o.ttlSec;
      const left = ttl === 0 ? 0 : entry.time + ttl - now;
      if (ttl > 0 && left <= 0) continue;
      const key = replayKey(this.#o.fleet, digest);
      try {
        const value = JSON.stringify({ ...entry, gateway: this.#o.gateway });
        if (await this.#link.setNx(key, value, left * 1000)) pushed++;
        else {
          const other = parseFleetEntry(await this.#link.get(key));
          if (
            this.#outage.has(digest) && other !== undefined && other.gateway !== this.#o.gateway
          ) {
            this.#o.log(
              "warning",
              `Packet from ${entry.srcIp} at ${entry.time} was accepted by this gateway and by ` +
                `${other.gateway} while Redis was unreachable`,
            );
          }
        }
      } catch (err) {
        this.#o.log("warning", `Cannot push local replay records yet: ${(err as Error).message}`);
        return pushed;
      }
    }
    this.#outage.clear();
    if (pushed > 0) {
      this.#o.log("info", `Pushed ${pushed} local replay record(s) to the fleet's Redis`);
    }
    this.stats.pushed += pushed;
    return pushed;
  }

  /** This gateway's records (the shared store is not listed). */
  entries(): Iterable<[string, ReplayEntry]> {
    return this.#local.entries();
  }

  get size(): number {
    return this.#local.size;
  }

  close(): void | Promise<void> {
    return this.#local.close();
  }
}
