/** The cheap screening against hostile payload shapes: each drop code and its boundary. */
import { assertEquals } from "../../tests/assert.ts";
import { parseAddr } from "../net/addr.ts";
import { POLICY_DEFAULTS, type PolicyOptions } from "./options.ts";
import { keepRawPayload, MAX_SPA_PACKET_LEN, MIN_SPA_DATA_SIZE, screenPacket } from "./screen.ts";
import { GPG_MIN_LEN, RIJNDAEL_PREFIX } from "../spa/packet.ts";
import { wireText } from "../spa/text.ts";

const OPTS: PolicyOptions = { ...POLICY_DEFAULTS };
const HTTP: PolicyOptions = { ...OPTS, http: true };
const pkt = (payload: string | Uint8Array) => ({
  payload,
  src: parseAddr("192.0.2.1")!,
  dst: parseAddr("192.0.2.2")!,
  proto: 17,
  sport: 5000,
  dport: 62201,
});
/** `screenPacket` with the SPA data as text, for comparisons. */
const screen = (p: string | Uint8Array, o = OPTS) => {
  const r = screenPacket(pkt(p), o);
  return "data" in r ? { ...r, data: wireText(r.data) } : r;
};
/** A Rijndael-shaped payload of `n` characters (first character `8`). */
const rij = (n: number) => "8" + "A".repeat(n - 1);

Deno.test("screen: length boundaries are inclusive at 140 and 1500", () => {
  assertEquals(screen(rij(MIN_SPA_DATA_SIZE - 1)), { drop: "bad-length", args: ["139"] });
  assertEquals(screen(rij(MIN_SPA_DATA_SIZE)), { data: rij(140) });
  assertEquals(screen(rij(MAX_SPA_PACKET_LEN)), { data: rij(1500) });
  assertEquals(screen(rij(MAX_SPA_PACKET_LEN + 1)), { drop: "bad-length", args: ["1501"] });
  assertEquals(screen(""), { drop: "bad-length", args: ["0"] });
});

Deno.test("screen: the prefixes a client strips are dropped", () => {
  const salted = RIJNDAEL_PREFIX + "A".repeat(200);
  assertEquals(screen(salted), { drop: "client-prefix", args: [] });
  // hQ only counts past GPG_MIN_LEN: a short payload starting hQ is not GnuPG-shaped.
  assertEquals(screen("hQ" + "A".repeat(GPG_MIN_LEN)), { drop: "client-prefix", args: [] });
  assertEquals(screen("hQ" + "A".repeat(200)), { drop: "not-rijndael", args: [] });
});

Deno.test("screen: below GnuPG length only 8 9 + / can start a packet", () => {
  for (const c of "89+/") assertEquals(screen(c + "A".repeat(199)), { data: c + "A".repeat(199) });
  for (const c of "AZaz07=") {
    assertEquals(screen(c + "A".repeat(199)), { drop: "not-rijndael", args: [] });
  }
  // At GnuPG length any base64 first character is allowed.
  const long = "Z".repeat(GPG_MIN_LEN);
  assertEquals(screen(long), { data: long });
});

Deno.test("screen: anything outside the base64 alphabet is dropped", () => {
  for (const bad of [" ", "\n", "\0", "é", "-", "_", "%", "<"]) {
    assertEquals(screen(rij(150) + bad + "AAAA"), { drop: "not-base64", args: [] });
  }
  // Captured bytes: every byte outside ASCII too, and the length counts bytes.
  const enc = new TextEncoder();
  for (const bad of [0x80, 0xc3, 0xef, 0xff]) {
    const bytes = enc.encode(rij(150) + "AAAA");
    bytes[150] = bad;
    assertEquals(screen(bytes), { drop: "not-base64", args: [] });
  }
  assertEquals(screen(enc.encode(rij(138) + "é")), { drop: "not-base64", args: [] });
  assertEquals(screen(enc.encode(rij(150))), { data: rij(150) });
});

Deno.test("screen: HTTP needs a Fwknop User-Agent unless any is allowed", () => {
  const data = "8" + "A".repeat(199);
  const req = (ua: string) => `GET /${data} HTTP/1.1\r\nUser-Agent: ${ua}\r\n\r\n`;
  assertEquals(screen(req("curl/8"), HTTP), { drop: "http-user-agent", args: [] });
  assertEquals(screen(req("Fwknop/2.6"), HTTP), { data });
  assertEquals(screen(req("curl/8"), { ...HTTP, anyUserAgent: true }), { data });
  // Without ENABLE_SPA_OVER_HTTP the request is just non-base64 garbage.
  assertEquals(screen(req("Fwknop/2.6")), { drop: "not-rijndael", args: [] });
});

Deno.test("screen: HTTP data is URL-safe base64 of at least 140 characters", () => {
  const ua = "\r\nUser-Agent: Fwknop/2.6\r\n\r\n";
  const short = "8" + "A".repeat(138);
  const pad = "x".repeat(200); // keeps the request itself over 140 bytes
  assertEquals(screen(`GET /${short} HTTP/1.1${ua}${pad}`, HTTP), {
    drop: "http-too-short",
    args: [],
  });
  assertEquals(screen(`GET / HTTP/1.1${ua}${pad}`, HTTP), { drop: "http-no-data", args: [] });
  const urlSafe = "8-_" + "A".repeat(197);
  assertEquals(screen(`GET /${urlSafe} HTTP/1.1${ua}`, HTTP), {
    data: "8+/" + "A".repeat(197),
  });
});

Deno.test("screen: X-Forwarded-For is read only when enabled and parseable", () => {
  const data = "8" + "A".repeat(199);
  const req = (xff: string) =>
    `GET /${data} HTTP/1.1\r\nUser-Agent: Fwknop\r\nX-Forwarded-For: ${xff}\r\n\r\n`;
  const on = { ...HTTP, xForwardedFor: true };
  const r = screenPacket(pkt(req("203.0.113.9, 198.51.100.1")), on);
  assertEquals("xff" in r ? r.xff?.text : undefined, "203.0.113.9");
  assertEquals(screen(req("203.0.113.9"), HTTP), { data });
  assertEquals(screen(req("not-an-address"), on), { data });
});

Deno.test("keepRawPayload: never drops what screenPacket keeps", () => {
  const first = (s: string) => s.charCodeAt(0);
  assertEquals(keepRawPayload(OPTS, first("8"), 139), false);
  assertEquals(keepRawPayload(OPTS, first("8"), 140), true);
  assertEquals(keepRawPayload(OPTS, first("/"), 1500), true);
  assertEquals(keepRawPayload(OPTS, first("8"), 1501), false);
  assertEquals(keepRawPayload(OPTS, first("A"), 200), false);
  assertEquals(keepRawPayload(OPTS, first("A"), GPG_MIN_LEN), true);
  assertEquals(keepRawPayload(OPTS, -1, 0), false);
  assertEquals(keepRawPayload(HTTP, -1, 0), true);
  for (const c of "89+/AZ") {
    for (const n of [139, 140, 399, 400, 1500, 1501]) {
      const p = c + "A".repeat(n - 1);
      const kept = !("drop" in screen(p));
      if (kept) assertEquals(keepRawPayload(OPTS, first(c), n), true, `${c} ${n}`);
    }
  }
});
