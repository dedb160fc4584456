/**
 * Opens the live capture PCAP_INTF names: one interface as fwknopd does,
 * a list (one capture per interface, merged: `multi.ts`), or `auto` (the
 * default route's interface, followed: `auto_intf.ts`). Logs fwknopd's
 * `Sniffing interface:` line for each interface.
 *
 * @module
 */
import { AutoSource } from "./auto_intf.ts";
import { parseIntfList } from "./intf_list.ts";
import { type CaptureLevel, MultiSource } from "./multi.ts";
import type { PacketSource } from "./packet.ts";
import { openPcap, type PcapOptions } from "./pcap.ts";
import { readRouteTables } from "../sys/route_tables.ts";
import { RuntimeError } from "../cli/errors.ts";

/** What opening needs besides the libpcap options. */
export interface CaptureHooks {
  /** Where the capture's lines go. */
  log(level: CaptureLevel, msg: string): void;
  /** EXIT_AT_INTF_DOWN. */
  exitAtIntfDown: boolean;
}

/**
 * Opens the capture for a PCAP_INTF value.
 *
 * @param pcapIntf PCAP_INTF (or `-i`).
 * @param o The libpcap options (filter, snap length, direction, modes) without the interface.
 * @param h Logging and EXIT_AT_INTF_DOWN.
 * @returns The packet source.
 * @throws {Error} when the value is not an interface list.
 * @throws {RuntimeError} when there is no default route (`auto`), or an
 *   interface cannot be captured on (named).
 */
export async function openCapture(
  pcapIntf: string,
  o: Omit<PcapOptions, "intf" | "file">,
  h: CaptureHooks,
): Promise<PacketSource> {
  const parsed = parseIntfList(pcapIntf);
  if ("error" in parsed) {
    throw new Error(`Cannot capture on PCAP_INTF "${pcapIntf}": ${parsed.error}`);
  }
  const open = (intf: string, filter?: string) =>
    openPcap({ ...o, intf, ...(filter === undefined ? {} : { filter }) });
  const spec = parsed.spec;
  let src: PacketSource & { intfs?: string[] };
  try {
    if (spec.kind === "auto") {
      src = await AutoSource.open({ ...h, open, routes: () => readRouteTables() });
    } else if (spec.names.length === 1) {
      src = await open(spec.names[0]!);
    } else src = await MultiSource.open(spec.names, { ...h, open });
  } catch (e) {
    // A missing interface or no default route: the world's failure, not a bug (no stack).
    throw new RuntimeError((e as Error).message);
  }
  const auto = spec.kind === "auto" ? " (PCAP_INTF auto: the default route's)" : "";
  for (const n of src.intfs ?? (spec.kind === "list" ? spec.names : [])) {
    h.log("info", `Sniffing interface: ${n}${auto}`);
  }
  return src;
}
