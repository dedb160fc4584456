import { assertEquals } from "../../tests/assert.ts";
import { type AccessStanza, newStanza } from "../config/access_conf.ts";
import { parseAddr, parseNet } from "../net/addr.ts";
import { admitGrant } from "./admit.ts";
import type { FleetGrantMsg } from "./message.ts";

const NOW = 1_800_000_000;
const net = (t: string) => parseNet(t) as Exclude<ReturnType<typeof parseNet>, string>;
function stanza(extra: Partial<AccessStanza> = {}): AccessStanza {
  return {
    ...newStanza(1, { file: "access.conf", line: 1 }),
    source: [net("192.0.2.0/24")],
    openPorts: [{ proto: "tcp", port: 22 }],
    fwAccessTimeout: 30,
    maxFwTimeout: 60,
    fleetGroup: "ops",
    ...extra,
  };
}
function grant(extra: Partial<FleetGrantMsg> = {}): FleetGrantMsg {
  return {
    kind: "grant",
    id: "0".repeat(32),
    gw: "gw1",
    at: NOW * 1000,
    src: parseAddr("192.0.2.7")!,
    ports: [{ proto: "tcp", port: 22 }],
    exp: NOW + 30,
    stanza: 99,
    ...extra,
  };
}
const why = (g: FleetGrantMsg, s: AccessStanza[] = [stanza()], group = "ops") => {
  const r = admitGrant(g, group, s, NOW, 60);
  return r.ok ? `stanza ${r.stanza.index}` : r.reason;
};

Deno.test("fleet admit: this gateway's own stanza decides, never the sender's number", () => {
  assertEquals(why(grant()), "stanza 1");
  assertEquals(why(grant(), [stanza({ index: 3 })]), "stanza 3");
  assertEquals(why(grant(), [stanza()], "other"), "no-stanza");
  assertEquals(why(grant(), [stanza({ fleetGroup: undefined })]), "no-stanza");
  assertEquals(why(grant(), [stanza({ cmdCycleOpen: "x" })]), "no-stanza");
  assertEquals(why(grant(), [stanza({ accessExpire: NOW - 1 })]), "no-stanza");
});

Deno.test("fleet admit: source, ports and expiry within the local stanza", () => {
  assertEquals(why(grant({ src: parseAddr("198.51.100.1")! })), "source");
  assertEquals(why(grant({ ports: [{ proto: "tcp", port: 23 }] })), "ports");
  const all = Array.from({ length: 32 }, (_, i) => ({ proto: "tcp" as const, port: i + 1 }));
  assertEquals(why(grant({ ports: all })), "ports");
  assertEquals(why(grant({ ports: all }), [stanza({ openPorts: undefined })]), "stanza 1");
  assertEquals(
    why(grant(), [stanza({ openPorts: undefined, restrictPorts: [{ proto: "tcp", port: 22 }] })]),
    "ports",
  );
  assertEquals(why(grant({ exp: NOW })), "expired");
  assertEquals(why(grant({ exp: NOW + 60 + 60 })), "stanza 1");
  assertEquals(why(grant({ exp: NOW + 60 + 61 })), "too-long");
  assertEquals(why(grant({ exp: NOW + 100, at: (NOW - 3600) * 1000 })), "too-long");
  assertEquals(why(grant({ exp: 99_999_999_999 })), "too-long");
});
