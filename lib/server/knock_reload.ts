/**
 * The knock side of SIGHUP: the engine takes the new knock stanzas at once
 * (`Engine.reload`); this makes the running daemon hear them. With
 * KNOCK_SOURCE pcap the capture filter gains (or loses) the knock ports in
 * place; with a kernel LOG source the source starts when the first knock
 * stanza appears. A change of where knocks come from (KNOCK_SOURCE and its
 * file or journal) needs a restart, said as for PCAP_FILTER, and the
 * running source keeps serving the new stanzas meanwhile.
 *
 * @module
 */
import type { PacketSource } from "../capture/packet.ts";
import { knockFilter } from "../../knock/filter.ts";
import type { KnockStanza } from "../../knock/watcher.ts";
import type { Loaded } from "./load.ts";
import type { Logger } from "./log.ts";

/** Where knocks come from; a change needs a restart. */
export const KNOCK_SOURCE_VARS = ["KNOCK_SOURCE", "IPT_SYSLOG_FILE", "KNOCK_JOURNAL_DIR"];

/** What the running daemon reads knocks with. */
export interface KnockRunning {
  /** The capture in use (`undefined` before it opens). */
  capture: PacketSource | undefined;
  /** Whether a kernel LOG line source runs. */
  logSource: boolean;
  /** Starts the LOG line source KNOCK_SOURCE names (kmsg, journal or syslog). */
  startLogSource: () => void;
}

function count(n: number): string {
  return `${n} knock stanza${n === 1 ? "" : "s"}`;
}

/**
 * Applies the knock part of a reload; call it before `Engine.reload(next.settings)`.
 *
 * @param prev The running configuration.
 * @param next The configuration just read; its `knockSource` is pinned to
 *   the running one when KNOCK_SOURCE changed.
 * @param run The running knock sources.
 * @param log The daemon's logger.
 */
export function reloadKnocks(prev: Loaded, next: Loaded, run: KnockRunning, log: Logger): void {
  const was = prev.config;
  for (const v of KNOCK_SOURCE_VARS) {
    if (was.get(v) !== next.config.get(v)) {
      log.log("warning", `${v} changed: it takes effect when fwknopd-ts is restarted`);
      next.settings.knockSource = prev.settings.knockSource ?? "pcap";
    }
  }
  const before = prev.settings.knocks ?? [];
  const after = next.settings.knocks ?? [];
  const kind = was.get("KNOCK_SOURCE");
  if (kind === "pcap") captureFilter(prev, before, after, run, log);
  else if (after.length > 0 && !run.logSource) run.startLogSource();
  if (before.length !== after.length) {
    log.log("info", `Watching ${count(after.length)} (${kind}) after the reload.`);
  }
}

/** KNOCK_SOURCE pcap: the knock ports in the running capture's filter. */
function captureFilter(
  prev: Loaded,
  before: readonly KnockStanza[],
  after: readonly KnockStanza[],
  run: KnockRunning,
  log: Logger,
): void {
  const c = prev.config;
  // PCAP_FILTER itself needs a restart: the running capture keeps the base it started with.
  const base = c.get("PCAP_FILTER")!;
  const filter = knockFilter(base, after);
  if (filter === knockFilter(base, before)) return;
  if (c.bool("ENABLE_UDP_SERVER") || c.get("PCAP_FILE") !== undefined) {
    if (after.length > 0) {
      log.log(
        "warning",
        "Knock stanzas changed, but this daemon reads no live capture (UDP server or pcap file): " +
          "KNOCK_SOURCE pcap hears no knocks",
      );
    }
    return;
  }
  const cap = run.capture;
  if (cap?.setFilter === undefined) {
    log.log(
      "warning",
      "Knock stanzas changed: the capture filter takes their ports when fwknopd-ts is restarted",
    );
    return;
  }
  try {
    cap.setFilter(filter);
    log.log("info", `PCAP filter is: '${filter}'`);
  } catch (e) {
    log.log(
      "error",
      `Cannot add the knock ports to the capture filter, keeping the old one (restart fwknopd-ts): ${
        (e as Error).message
      }`,
    );
  }
}
