/**
 * The capture filter for knocks: the SPA filter (PCAP_FILTER) or the knock
 * ports of every knock stanza, so one libpcap capture serves both and no
 * LOG rules are needed.
 *
 * @module
 */
import type { KnockStanza } from "./watcher.ts";

/**
 * Extends a BPF filter with the knocks the stanzas listen for.
 *
 * @param base PCAP_FILTER.
 * @param stanzas The knock stanzas.
 * @returns The filter to compile.
 */
export function knockFilter(base: string, stanzas: readonly KnockStanza[]): string {
  const terms = new Set<string>();
  for (const s of stanzas) {
    if (s.mode === "encrypted") {
      terms.add(`tcp dst portrange ${s.offset}-${s.offset + 255}`);
      terms.add(`udp dst portrange ${s.offset}-${s.offset + 255}`);
      continue;
    }
    for (const step of [...s.sequence, ...(s.filterSteps ?? [])]) {
      terms.add(step.proto === "icmp" ? "icmp or icmp6" : `${step.proto} dst port ${step.port}`);
    }
  }
  if (terms.size === 0) return base;
  return `(${base}) or ${[...terms].map((t) => `(${t})`).join(" or ")}`;
}
