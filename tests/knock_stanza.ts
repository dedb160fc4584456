/** A knock stanza for tests: encrypted, from anywhere, opening tcp/22 for 30 s, unless overridden. */
import type { KnockStanza } from "../knock/watcher.ts";
import { parseNet } from "../lib/net/addr.ts";

/**
 * Builds a test knock stanza.
 *
 * @param extra Fields to set or override.
 * @returns The stanza.
 */
export function knockStanza(extra: Partial<KnockStanza> = {}): KnockStanza {
  return {
    index: 1,
    source: [parseNet("ANY") as never],
    mode: "encrypted",
    offset: 61000,
    key: "a long knock key",
    sequence: [],
    openPorts: [{ proto: "tcp", port: 22 }],
    knockInterval: 60,
    fwAccessTimeout: 30,
    requireSourceAddress: false,
    ...extra,
  };
}
