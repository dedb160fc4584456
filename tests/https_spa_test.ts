/**
 * The HTTPS endpoint with the real engine (memory firewall and replay
 * cache): the reply bytes to a valid, an invalid and a replayed packet are
 * the same; only the valid one opens; the page is served with its CSP and
 * nothing outside the web folder is ever served.
 */
import { assert, assertEquals } from "./assert.ts";
import { GrantTable } from "../firewall/grants.ts";
import { MemoryFirewall } from "../firewall/memory.ts";
import { newStanza } from "../lib/config/access_conf.ts";
import { parseNet } from "../lib/net/addr.ts";
import { POLICY_DEFAULTS } from "../lib/policy/options.ts";
import { MemoryReplayCache } from "../lib/replay/memory.ts";
import { MessageType } from "../lib/spa/message.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import { Engine } from "../lib/server/engine.ts";
import { SerialSink } from "../lib/server/https_setup.ts";
import { SPA_REPLY, startHttpsSpa } from "../lib/server/https_spa.ts";
import { loadWebSite } from "../lib/server/https_web.ts";
import type { Level, Logger } from "../lib/server/log.ts";
import { get, makeCert, makeWebDir, rawRequest, type Target, TEST_CSP, text } from "./https_rig.ts";

const enc = new TextEncoder();

class Lines implements Logger {
  readonly lines: string[] = [];
  log(level: Level, msg: string): void {
    this.lines.push(`${level}: ${msg}`);
  }
  wants(): boolean {
    return true;
  }
  logAll(lines: readonly { level: Level; msg: string }[]): void {
    for (const l of lines) this.log(l.level, l.msg);
  }
}

async function rig() {
  const cert = await makeCert();
  const web = await makeWebDir(cert.dir);
  const fw = new MemoryFirewall();
  const log = new Lines();
  const grants = new GrantTable(fw, { nowMs: Date.now, log: (l, m) => log.log(l, m) });
  const stanza = {
    ...newStanza(1, { file: "access.conf", line: 1 }),
    source: [parseNet("ANY") as never],
    key: enc.encode("https-key"),
    hmacKey: enc.encode("https-hmac"),
    fwAccessTimeout: 30,
  };
  const engine = new Engine({ stanzas: [stanza], policy: { ...POLICY_DEFAULTS } }, {
    replay: new MemoryReplayCache(),
    grants,
    log,
    run: () => Promise.resolve({ code: 0, stdout: "", stderr: "" }),
    nowMs: Date.now,
  });
  const sink = new SerialSink((p) => engine.handle(p), (e) => log.log("error", String(e)));
  const l = await startHttpsSpa({
    address: "127.0.0.1",
    port: 0,
    tls: cert,
    site: loadWebSite(web),
    submit: (p) => sink.submit(p),
    warn: (m) => log.log("warning", m),
  });
  const t: Target = { hostname: "127.0.0.1", port: l.port, ca: cert.ca };
  const close = async () => {
    await l.close();
    await sink.idle();
    await grants.close();
    await Deno.remove(cert.dir, { recursive: true });
  };
  return { t, fw, log, sink, close };
}

/** A packet in fwknop's `-P http` URL form. */
function urlSpa(key: string, allow = "127.0.0.1"): string {
  const wire = encodeSpa({
    message: `${allow},tcp/22`,
    messageType: MessageType.ACCESS,
    username: "alice",
    key: enc.encode(key),
    hmacKey: enc.encode("https-hmac"),
    timestamp: Math.floor(Date.now() / 1000),
  }).wire;
  return "/" + wire.replaceAll("+", "-").replaceAll("/", "_");
}

Deno.test("https: valid, invalid and replayed packets get the same reply bytes; only the valid one opens", async () => {
  const r = await rig();
  try {
    const good = urlSpa("https-key");
    const valid = await get(r.t, good);
    await r.sink.idle();
    assertEquals(r.fw.rules.length, 1, r.log.lines.join("\n"));
    const replayed = await get(r.t, good);
    const wrongKey = await get(r.t, urlSpa("not-the-key"));
    const garbage = await get(r.t, "/" + "A".repeat(200));
    await r.sink.idle();
    assertEquals(valid, SPA_REPLY);
    for (const b of [replayed, wrongKey, garbage]) assertEquals(b, valid);
    assertEquals(r.fw.rules.length, 1);
    const all = r.log.lines.join("\n");
    assert(/127\.0\.0\.1/.test(all), all);
    assert(/[Rr]eplay/.test(all), all);
  } finally {
    await r.close();
  }
});

Deno.test("https: the page is served with its own CSP and nosniff", async () => {
  const r = await rig();
  try {
    const page = text(await get(r.t, "/"));
    assert(page.startsWith("HTTP/1.1 200 OK\r\n"), page);
    assert(page.includes(`Content-Security-Policy: ${TEST_CSP}; frame-ancestors 'none'\r\n`), page);
    assert(page.includes("X-Content-Type-Options: nosniff\r\n"), page);
    assert(page.includes("Content-Type: text/html"), page);
    const js = text(await get(r.t, "/app.js?v=1"));
    assert(js.includes("Content-Type: text/javascript") && js.endsWith("console.log('page');\n"));
    assert(text(await get(r.t, "/icons/i.svg")).includes("image/svg+xml"));
    assertEquals(r.fw.rules.length, 0);
  } finally {
    await r.close();
  }
});

Deno.test("https: path traversal, encoded dots, links and dot files serve nothing outside the folder", async () => {
  const r = await rig();
  try {
    const attempts = [
      "/../outside.txt",
      "/../../../../etc/passwd",
      "/%2e%2e/outside.txt",
      "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/..%2f..%2fetc%2fpasswd",
      "/.%2e/.%2e/etc/passwd",
      "/icons/../../outside.txt",
      "//etc/passwd",
      "/passwd.txt",
      "/outside.txt",
      "/etc/passwd",
      "/etc/hostname",
      "/.htpasswd",
      "/icons/%2e%2e/app.js",
      "/%00/etc/passwd",
      "\\..\\outside.txt",
      "/index.html/../../outside.txt",
    ];
    for (const a of attempts) {
      const reply = await get(r.t, a);
      const s = text(reply);
      assert(!s.includes("root:"), `${a} served /etc/passwd`);
      assert(!s.includes("SECRET"), `${a} served a secret`);
      // Anything that is not a page file gets the one fixed answer (or 400 for a malformed line).
      assert(
        s === text(SPA_REPLY) || s.startsWith("HTTP/1.1 400 "),
        `${a}: ${s.slice(0, 80)}`,
      );
    }
    // A raw request with a traversal in an absolute-form target.
    const abs = text(await rawRequest(r.t, "GET https://x/../outside.txt HTTP/1.1\r\n\r\n"));
    assert(!abs.includes("SECRET"));
    assertEquals(r.fw.rules.length, 0);
  } finally {
    await r.close();
  }
});

Deno.test("https: methods other than GET get 405; a malformed request line gets 400", async () => {
  const r = await rig();
  try {
    const post = text(await rawRequest(r.t, `POST ${urlSpa("https-key")} HTTP/1.1\r\n\r\n`));
    assert(post.startsWith("HTTP/1.1 405 "), post);
    const bad = text(await rawRequest(r.t, "GET\r\n\r\n"));
    assert(bad.startsWith("HTTP/1.1 400 "), bad);
    await r.sink.idle();
    assertEquals(r.fw.rules.length, 0);
  } finally {
    await r.close();
  }
});
