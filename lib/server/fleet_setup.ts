/**
 * Fleet mode in the daemon: with FLEET_REDIS_URL set, the replay cache
 * becomes the fleet's (Redis, with the digest file as the local copy),
 * grants of FLEET_GROUP stanzas are published and the group's grants are
 * applied here, and the state is written for `-S`. Without it, nothing of
 * this runs (and the Redis client is never loaded).
 *
 * @module
 */
import type { GrantTable } from "../../firewall/grants.ts";
import type { AccessStanza } from "../config/access_conf.ts";
import type { ServerConfig } from "../config/server_conf.ts";
import { RedisLink } from "../fleet/link.ts";
import { type FleetOptions, fleetOptions } from "../fleet/options.ts";
import { FleetMemory } from "../fleet/memory.ts";
import { FleetGrants, type FleetStatus } from "../fleet/propagate.ts";
import { statusPath, writeStatus } from "../fleet/status.ts";
import type { PolicyOptions } from "../policy/options.ts";
import type { ReplayCache } from "../replay/cache.ts";
import { FleetReplayCache } from "../fleet/replay_store.ts";
import { replayTtl } from "./engine.ts";
import type { DaemonLogger } from "./log.ts";

/** How often the status file is rewritten (ms). */
const STATUS_EVERY_MS = 2000;

/** The fleet's parts in a running daemon. */
export class DaemonFleet {
  readonly link: RedisLink;
  readonly replay: FleetReplayCache;
  #grants: FleetGrants | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  readonly #statusFile: string;
  readonly #memoryFile: string;

  readonly #o: FleetOptions;

  private constructor(
    o: FleetOptions,
    link: RedisLink,
    replay: FleetReplayCache,
    statusFile: string,
    memoryFile: string,
  ) {
    this.#o = o;
    this.link = link;
    this.replay = replay;
    this.#statusFile = statusFile;
    this.#memoryFile = memoryFile;
  }

  /**
   * Connects (waiting a moment for the first connection) and wraps the
   * local replay cache.
   *
   * @returns The fleet, or `undefined` when FLEET_REDIS_URL is not set.
   */
  static async open(
    c: ServerConfig,
    local: ReplayCache,
    policy: PolicyOptions,
    log: DaemonLogger,
  ): Promise<DaemonFleet | undefined> {
    const o = fleetOptions(c);
    if (o === undefined) return undefined;
    const say = (level: "error" | "warning" | "info" | "debug", msg: string) => log.log(level, msg);
    log.log("info", `Fleet mode: fleet ${o.name}, gateway ${o.gateway}, Redis at ${o.where}`);
    const link = await RedisLink.open(o, say);
    if (!link.up) {
      log.log(
        "error",
        `Redis at ${o.where} cannot be reached yet (${link.state.error}); retrying. Until then ` +
          (o.onDown === "closed"
            ? "every SPA packet is refused (FLEET_ON_REDIS_DOWN closed)"
            : "replays are checked locally only (FLEET_ON_REDIS_DOWN local)"),
      );
    }
    const replay = new FleetReplayCache(link, local, {
      fleet: o.name,
      gateway: o.gateway,
      onDown: o.onDown,
      log: say,
      ttlSec: replayTtl(policy),
    });
    if (link.up) await replay.sync();
    const runDir = c.get("FWKNOP_RUN_DIR")!;
    return new DaemonFleet(o, link, replay, statusPath(runDir), `${runDir}/fleet.memory`);
  }

  /**
   * Starts propagation: publishes this gateway's grants of FLEET_GROUP
   * stanzas and applies the groups' grants through `grants`, as far as
   * this gateway's own stanzas allow. Without FLEET_KEY_FILE (which a
   * FLEET_GROUP stanza requires) the fleet is a replay cache only.
   */
  start(grants: GrantTable | undefined, stanzas: readonly AccessStanza[], log: DaemonLogger): void {
    const o = this.#o;
    const say = (level: "error" | "warning" | "info" | "debug", msg: string) => log.log(level, msg);
    const key = o.key;
    if (key === undefined) {
      log.log("info", "No FLEET_KEY_FILE: grants and revocations are not shared by this gateway");
    } else {
      this.#grants = new FleetGrants(
        this.link,
        grants,
        { ...o, key },
        stanzas,
        say,
        Date.now,
        new FleetMemory(this.#memoryFile),
      );
      this.#grants.start();
    }
    const write = async () => {
      try {
        writeStatus(this.#statusFile, await this.#status());
      } catch (e) {
        log.log("debug", `Cannot write ${this.#statusFile}: ${(e as Error).message}`);
      }
    };
    void write();
    this.#ticker = setInterval(() => void write(), STATUS_EVERY_MS);
  }

  /** The state `-S` shows (without a fleet key: the connection only). */
  async #status(): Promise<FleetStatus> {
    if (this.#grants !== undefined) return await this.#grants.status();
    const st = this.link.state;
    return {
      gateway: this.#o.gateway,
      redis: this.link.where,
      up: st.up,
      since: st.since,
      ...(st.error === undefined ? {} : { error: st.error }),
      lagMs: {},
      applied: 0,
      published: 0,
      pendingPublish: 0,
    };
  }

  /** The engine's publish hook. */
  publish = async (group: string, g: Parameters<FleetGrants["publish"]>[1]): Promise<void> => {
    await this.#grants?.publish(group, g);
  };

  /** SIGHUP: the stanzas (and so the groups) may have changed. */
  reload(stanzas: readonly AccessStanza[]): void {
    this.#grants?.setStanzas(stanzas);
  }

  /** Stops reading, closes the connection (the local cache is closed by its owner). */
  async close(): Promise<void> {
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    await this.#grants?.close();
    await this.link.close();
  }
}

/** The fleet groups named by the stanzas. */
export function groupsOf(stanzas: readonly AccessStanza[]): string[] {
  return [...new Set(stanzas.flatMap((s) => (s.fleetGroup === undefined ? [] : [s.fleetGroup])))];
}
