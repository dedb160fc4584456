/** A network grant (GRANT_SOURCE_PREFIX_V4/_V6) is not published to the fleet, and says so. */
import { assertEquals } from "../../tests/assert.ts";
import { fleetTestOptions } from "../../tests/redis_local.ts";
import { type Grant, sourceNetwork } from "../../firewall/grant.ts";
import { parseAddr } from "../net/addr.ts";
import type { RedisLink } from "./link.ts";
import { FleetGrants } from "./propagate.ts";

/** A link that is up and records every entry added. */
function recordingLink(added: Record<string, string>[]): RedisLink {
  return {
    up: true,
    onUp: () => {},
    xAdd: (_s: string, f: Record<string, string>) => {
      added.push(f);
      return Promise.resolve("1-0");
    },
  } as unknown as RedisLink;
}

const grant = (src: string, prefix?: number): Grant => ({
  ...sourceNetwork(parseAddr(src)!, prefix),
  ports: [{ proto: "tcp", port: 22 }],
  expiresAt: Math.floor(Date.now() / 1000) + 60,
  origin: { stanza: 1, pktSrc: parseAddr(src)!, via: "spa" },
});

Deno.test("fleet: a network grant is held back with a warning; a single grant still goes", async () => {
  const added: Record<string, string>[] = [];
  const logs: string[] = [];
  const o = { ...fleetTestOptions("redis://127.0.0.1:1", "t", "a"), key: new Uint8Array(32) };
  const fleet = new FleetGrants(recordingLink(added), undefined, o, [], (l, m) => {
    logs.push(`${l}: ${m}`);
  });
  await fleet.publish("ops", grant("192.0.2.10", 24));
  await fleet.publish("ops", grant("2001:db8:1:2::7", 64));
  assertEquals(added.length, 0, "a network grant reached the fleet stream");
  assertEquals(logs, [
    "warning: Grant for 192.0.2.0/24 opens a network (GRANT_SOURCE_PREFIX_V4/_V6): not published to the fleet",
    "warning: Grant for 2001:db8:1:2::/64 opens a network (GRANT_SOURCE_PREFIX_V4/_V6): not published to the fleet",
  ]);
  await fleet.publish("ops", grant("192.0.2.10"));
  assertEquals(added.length, 1);
  assertEquals(added[0]!.src, "192.0.2.10");
});
