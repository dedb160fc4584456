/** The grant's source with GRANT_SOURCE_PREFIX_V4/_V6: which address's network is opened. */
import { assert, assertEquals } from "../../tests/assert.ts";
import { type AccessStanza, newStanza } from "../config/access_conf.ts";
import { parseAddr, parseNet } from "../net/addr.ts";
import { POLICY_DEFAULTS } from "./options.ts";
import { processPacket } from "./pipeline.ts";
import { MemoryReplayCache } from "../replay/memory.ts";
import { MessageType } from "../spa/message.ts";
import { encodeSpa } from "../spa/packet.ts";
import { grantSource } from "../../firewall/grant.ts";

const enc = new TextEncoder();
const NOW = 1_800_000_000;

function stanza(extra: Partial<AccessStanza> = {}): AccessStanza {
  return {
    ...newStanza(1, { file: "access.conf", line: 1 }),
    source: [parseNet("ANY") as Exclude<ReturnType<typeof parseNet>, string>],
    key: enc.encode("policy-key"),
    hmacKey: enc.encode("policy-hmac"),
    ...extra,
  };
}

/** The grant's source text for a packet from `src` asking for `allow`, or the refusal. */
async function granted(s: AccessStanza, src: string, allow: string): Promise<string> {
  const payload = encodeSpa({
    message: `${allow},tcp/22`,
    messageType: MessageType.ACCESS,
    username: "alice",
    key: enc.encode("policy-key"),
    hmacKey: enc.encode("policy-hmac"),
    timestamp: NOW,
  }).wire;
  const dst = src.includes(":") ? "2001:db8::2" : "203.0.113.2";
  const v = await processPacket(
    { payload, src: parseAddr(src)!, dst: parseAddr(dst)!, proto: 17, sport: 5000, dport: 62201 },
    [s],
    { ...POLICY_DEFAULTS },
    NOW,
    new MemoryReplayCache(),
  );
  const g = v.plan?.kind === "grant" ? v.plan.grant : undefined;
  return g === undefined ? "refused" : grantSource(g);
}

Deno.test("grant source: off by default, the address alone", async () => {
  assertEquals(await granted(stanza(), "192.0.2.10", "0.0.0.0"), "192.0.2.10");
});

Deno.test("grant source: -s opens the packet source's network, both families", async () => {
  const s = stanza({ grantPrefixV4: 24, grantPrefixV6: 64 });
  assertEquals(await granted(s, "192.0.2.10", "0.0.0.0"), "192.0.2.0/24");
  assertEquals(await granted(s, "2001:db8:1:2::10", "::"), "2001:db8:1:2::/64");
});

Deno.test("grant source: each family has its own setting; one unset keeps the address", async () => {
  assertEquals(await granted(stanza({ grantPrefixV6: 64 }), "192.0.2.10", "0.0.0.0"), "192.0.2.10");
  assertEquals(await granted(stanza({ grantPrefixV4: 24 }), "2001:db8::10", "::"), "2001:db8::10");
});

Deno.test("grant source: the widened address is the one that would be opened, the message's with -a", async () => {
  // -a names another address: that address's network is opened, as that address would be.
  const s = stanza({ grantPrefixV4: 24 });
  assertEquals(await granted(s, "192.0.2.10", "198.51.100.200"), "198.51.100.0/24");
  // REQUIRE_SOURCE_ADDRESS refuses -s, and with it the network of an address of the sender's choice.
  const req = stanza({ grantPrefixV4: 24, requireSourceAddress: true });
  assertEquals(await granted(req, "192.0.2.10", "0.0.0.0"), "refused");
  assert((await granted(req, "192.0.2.10", "192.0.2.10")) === "192.0.2.0/24");
});
