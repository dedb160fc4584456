import { assert, assertEquals } from "../../tests/assert.ts";
import { parseAddr } from "../net/addr.ts";
import {
  FLEET_MAX_PORTS,
  grantMessage,
  logSafe,
  newMessageId,
  readMessage,
  revokeMessage,
  signFields,
} from "./message.ts";

const KEY = new Uint8Array(32).fill(7);
const OTHER = new Uint8Array(32).fill(8);
const GS = "fwknop:t:grants:ops";
const RS = "fwknop:t:revoke";
const grant = () =>
  grantMessage(KEY, GS, {
    id: newMessageId(),
    gw: "gw1",
    at: 1_800_000_000_000,
    src: parseAddr("192.0.2.7")!,
    ports: [{ proto: "tcp", port: 22 }, { proto: "udp", port: 53 }],
    exp: 1_800_000_060,
    stanza: 2,
  });

Deno.test("fleet message: a signed grant and revocation read back", () => {
  const g = grant();
  const r = readMessage(KEY, GS, g);
  assert(r.ok && r.msg.kind === "grant");
  assertEquals([r.msg.src.text, r.msg.exp, r.msg.at, r.msg.gw], [
    "192.0.2.7",
    1_800_000_060,
    1_800_000_000_000,
    "gw1",
  ]);
  const rv = revokeMessage(KEY, RS, {
    id: newMessageId(),
    by: "gw3",
    at: 1_800_000_000_000,
    src: parseAddr("2001:db8::7")!,
    exp: 1_800_086_400,
  });
  const back = readMessage(KEY, RS, rv);
  assert(back.ok && back.msg.kind === "revoke" && back.msg.src.text === "2001:db8::7");
});

Deno.test("fleet message: wrong key, other stream, any changed field or absent MAC is refused", () => {
  const g = grant();
  assertEquals(readMessage(OTHER, GS, g), { ok: false, reason: "bad-mac" });
  assertEquals(readMessage(KEY, "fwknop:t:grants:admin", g), { ok: false, reason: "bad-mac" });
  for (const k of Object.keys(g)) {
    if (k === "v") continue;
    const changed = { ...g, [k]: k === "ports" ? "tcp/1" : k === "src" ? "192.0.2.8" : "9" };
    assert(!readMessage(KEY, GS, changed).ok, k);
  }
  const { mac: _, ...unsigned } = g;
  assertEquals(readMessage(KEY, GS, unsigned), { ok: false, reason: "malformed" });
  assertEquals(readMessage(KEY, GS, { ...g, extra: "1" }), { ok: false, reason: "malformed" });
  // The review's forged entry: no MAC at all.
  const forged = {
    kind: "grant",
    gw: "evil",
    src: "192.0.2.66",
    dst: "",
    ports: "tcp/1",
    exp: "1",
    stanza: "99",
  };
  assertEquals(readMessage(KEY, GS, forged), { ok: false, reason: "malformed" });
});

Deno.test("fleet message: only canonical values; at most FLEET_MAX_PORTS ports", () => {
  const base = {
    id: newMessageId(),
    gw: "gw1",
    at: 1,
    src: parseAddr("192.0.2.7")!,
    exp: 2,
    stanza: 1,
  };
  const many = Array.from({ length: FLEET_MAX_PORTS + 1 }, (_, i) => ({
    proto: "tcp" as const,
    port: i + 1,
  }));
  assert(!readMessage(KEY, GS, grantMessage(KEY, GS, { ...base, ports: many })).ok);
  assert(readMessage(KEY, GS, grantMessage(KEY, GS, { ...base, ports: many.slice(1) })).ok);
  for (
    const [k, v] of [["src", "192.000.2.7"], ["ports", "tcp/022"], ["exp", "02"], ["gw", "a b"]]
  ) {
    const f = grantMessage(KEY, GS, { ...base, ports: many.slice(0, 1) });
    // Signed with the odd value, so only the parse can refuse it.
    const { mac: _, ...rest } = { ...f, [k!]: v! };
    const signed = signFields(KEY, GS, rest);
    assertEquals(readMessage(KEY, GS, signed), { ok: false, reason: "malformed" }, k);
  }
});

Deno.test("fleet message: values from Redis are escaped for logs", () => {
  assertEquals(logSafe("x\nFORGED: Added"), "x\\x0aFORGED: Added");
  assertEquals(logSafe("a\\b\x1b[31m"), "a\\x5cb\\x1b[31m");
  assert(!/[\n\r]/.test(logSafe("\r\n".repeat(100))));
  assertEquals(logSafe("é"), "\\xe9");
  assert(logSafe("a".repeat(500)).length < 100);
});
