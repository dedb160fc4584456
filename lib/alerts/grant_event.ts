/**
 * The alert line for a grant: the engine says what it opened or ran, and
 * this turns it into a line and an event in the shape the JSON log uses.
 *
 * @module
 */
import { type Grant, grantSource, portsText } from "../../firewall/grant.ts";
import type { StructuredEvent } from "../log/event.ts";

/** A command or CMD_CYCLE_OPEN the engine ran for an accepted request. */
export interface CommandNotice {
  src: string;
  stanza: number;
  kind: "command" | "cycle";
}

/**
 * Describes a grant, a command or a cycle for an alert. The event's fields
 * are the facts the log lines already carry (addresses, ports, stanza,
 * expiry): never a key, a message digest or the command text.
 *
 * @param what The grant, or the command notice.
 * @returns The line's text and its event.
 */
export function grantEvent(what: Grant | CommandNotice): { msg: string; event: StructuredEvent } {
  if ("kind" in what) {
    const run = what.kind === "command" ? "SPA command" : "CMD_CYCLE_OPEN";
    return {
      msg: `[${what.src}] (stanza #${what.stanza}) ${run} run for an accepted request`,
      event: { code: what.kind, src: what.src, stanza: what.stanza },
    };
  }
  const ports = portsText(what.ports);
  // A network grant (GRANT_SOURCE_PREFIX_*) names its network, as the firewall lines do.
  const opened = grantSource(what);
  const until = new Date(what.expiresAt * 1000).toISOString();
  const o = what.origin;
  return {
    msg: `[${o.pktSrc.text}] (stanza #${o.stanza}) Access granted to ${opened} for ${ports} ` +
      `until ${until} (${o.via})`,
    event: {
      code: "grant",
      src: o.pktSrc.text,
      stanza: o.stanza,
      args: [opened, ports, String(what.expiresAt), o.via],
    },
  };
}
