/**
 * Attacks on the HTTPS endpoint from the network: held-open connections
 * (with and without a TLS handshake), oversized heads, and a flood from one
 * source while another source still gets through.
 */
import { assert, assertEquals } from "./assert.ts";
import type { CapturedPacket } from "../lib/capture/packet.ts";
import {
  HTTPS_BURST,
  HTTPS_MAX_CONNECTIONS,
  HTTPS_MAX_HEAD,
  SPA_REPLY,
  startHttpsSpa,
} from "../lib/server/https_spa.ts";
import { SourceRateLimit } from "../lib/server/rate_limit.ts";
import { get, makeCert, rawRequest, readAll, type Target, text } from "./https_rig.ts";

async function rig(rate?: SourceRateLimit) {
  const cert = await makeCert();
  const packets: CapturedPacket[] = [];
  const warnings: string[] = [];
  const l = await startHttpsSpa({
    address: "::",
    port: 0,
    tls: cert,
    submit: (p) => packets.push(p),
    warn: (m) => warnings.push(m),
    ...(rate === undefined ? {} : { rate }),
  });
  const v4: Target = { hostname: "127.0.0.1", port: l.port, ca: cert.ca };
  const v6: Target = { hostname: "::1", port: l.port, ca: cert.ca };
  const close = async () => {
    await l.close();
    await Deno.remove(cert.dir, { recursive: true });
  };
  return { l, v4, v6, packets, warnings, close };
}

const roomy = () => new SourceRateLimit({ burst: 1000, perSecond: 1000, maxSources: 16 });

Deno.test("https attack: held-open connections are capped and closed at their lifetime; the endpoint serves again", async () => {
  const r = await rig(roomy());
  const held: Deno.Conn[] = [];
  try {
    // Half with no TLS handshake at all, half with a handshake and half a request head.
    for (let i = 0; i < HTTPS_MAX_CONNECTIONS / 2; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: r.l.port });
      await c.write(new Uint8Array([0x16, 0x03, 0x01])); // the first bytes of a ClientHello
      held.push(c);
    }
    for (let i = 0; i < HTTPS_MAX_CONNECTIONS / 2; i++) {
      const c = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: r.l.port,
        caCerts: [r.v4.ca],
      });
      await c.write(new TextEncoder().encode("GET /AAAA"));
      held.push(c);
    }
    for (let i = 0; i < 50 && r.l.active < HTTPS_MAX_CONNECTIONS; i++) {
      await new Promise((ok) => setTimeout(ok, 20));
    }
    assertEquals(r.l.active, HTTPS_MAX_CONNECTIONS);
    // Past the cap a new connection is closed at once: no reply.
    assertEquals((await get(r.v4, "/" + "B".repeat(150))).length, 0);
    assert(r.l.active <= HTTPS_MAX_CONNECTIONS);
    assert(r.warnings.some((w) => w.includes("the limit")), r.warnings.join("\n"));
    // The server ends every held connection after its lifetime, without the peers' help,
    // also those still in their TLS handshake (their sockets are really closed: read ends).
    const ends = await Promise.all(held.map((c) => readAll(c)));
    for (const e of ends) assertEquals(e.length, 0);
    for (let i = 0; i < 50 && r.l.active > 0; i++) await new Promise((ok) => setTimeout(ok, 20));
    assertEquals(r.l.active, 0);
    assertEquals(await get(r.v4, "/" + "C".repeat(150)), SPA_REPLY);
    assertEquals(r.packets.length, 1);
  } finally {
    for (const c of held) {
      try {
        c.close();
      } catch {
        // closed by the server
      }
    }
    await r.close();
  }
});

Deno.test("https attack: an oversized head gets 431 and is never taken as SPA", async () => {
  const r = await rig(roomy());
  try {
    const big = `GET /${"D".repeat(200)} HTTP/1.1\r\nX-Pad: ${"p".repeat(HTTPS_MAX_HEAD)}\r\n\r\n`;
    const reply = text(await rawRequest(r.v4, big));
    assert(reply.startsWith("HTTP/1.1 431 "), reply);
    // A head that never ends: cut at the limit, answered, closed.
    const endless = text(await rawRequest(r.v4, "GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(20_000)));
    assert(endless.startsWith("HTTP/1.1 431 "), endless);
    // A target past the request line's limit is a bad request.
    const long = text(await rawRequest(r.v4, `GET /${"E".repeat(3000)} HTTP/1.1\r\n\r\n`));
    assert(long.startsWith("HTTP/1.1 400 "), long);
    assertEquals(r.packets.length, 0);
  } finally {
    await r.close();
  }
});

Deno.test("https attack: a flood from one source hits its rate limit; another source still gets through", async () => {
  const r = await rig(); // the daemon's own limits
  try {
    let answered = 0;
    for (let i = 0; i < HTTPS_BURST + 15; i++) {
      if ((await get(r.v4, "/" + "F".repeat(150))).length > 0) answered++;
    }
    // A few tokens come back while the flood runs (HTTPS_PER_SECOND); most of the excess is cut.
    assert(answered >= HTTPS_BURST && answered < HTTPS_BURST + 10, `answered ${answered}`);
    assert(r.warnings.some((w) => w.includes("over its request rate")), r.warnings.join("\n"));
    // The flooding source is still held; another source is not.
    assertEquals((await get(r.v4, "/" + "G".repeat(150))).length, 0);
    assertEquals(await get(r.v6, "/" + "H".repeat(150)), SPA_REPLY);
    const last = r.packets.at(-1)!;
    assertEquals(last.src.text, "::1");
    assertEquals(r.packets.filter((p) => p.src.text === "127.0.0.1").length, answered);
  } finally {
    await r.close();
  }
});
