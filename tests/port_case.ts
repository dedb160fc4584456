/**
 * The one check every namespace test makes: the ports are closed, one SPA
 * packet is sent, then each port opens (or, for a refusal, stays closed for
 * the whole wait), and optionally closes again when the rule expires.
 *
 * @module
 */
import { assert, assertMatch } from "./assert.ts";
import { type Netns, poll } from "./netns.ts";

/** One case. */
export interface PortCase {
  /** TCP ports the packet asks for. */
  ports: number[];
  /** Whether they must open. */
  open: boolean;
  /** Seconds after which the first port must be closed again, if checked. */
  expires?: number;
  /** A line the daemon must have logged. */
  logs?: RegExp;
}

/**
 * Runs one case from the client namespace against `ip`.
 *
 * @param client The client namespace.
 * @param ip The server address.
 * @param c The case.
 * @param send Sends the SPA packet; must exit 0.
 * @param daemonLog The daemon's output so far, for failure messages and `logs`.
 */
export async function checkPortCase(
  client: Netns,
  ip: string,
  c: PortCase,
  send: () => Promise<{ code: number; out: string }>,
  daemonLog: () => string,
): Promise<void> {
  for (const p of c.ports) assert(!(await client.tcpOpen(ip, p)), `port ${p} is open before SPA`);
  const r = await send();
  assert(r.code === 0, `client failed: ${r.out}`);
  for (const p of c.ports) {
    // A refusal waits the whole (shorter) window for a port that must not open.
    const open = await poll(() => client.tcpOpen(ip, p), true, c.open ? 6000 : 1500);
    assert(
      open === c.open,
      `port ${p} ${c.open ? "did not open" : "opened"}; the daemon said:\n${
        daemonLog().slice(-2500)
      }`,
    );
  }
  if (c.logs !== undefined) assertMatch(daemonLog(), c.logs);
  if (c.expires !== undefined) {
    const closed = await poll(
      async () => !(await client.tcpOpen(ip, c.ports[0]!)),
      true,
      (c.expires + 8) * 1000,
    );
    assert(closed, `port ${c.ports[0]} still open after the rule should have expired`);
  }
}
