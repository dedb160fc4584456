/**
 * The HTTPS endpoint under Node (the npm package's runtime: node:tls):
 * bundled from tests/tools/https_node.ts and run by `node`. The fixed reply
 * and the packet handed on, 431 for an oversized head, and connections held
 * mid-handshake or mid-request closed by the server itself.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { Background } from "./netns.ts";
import { HTTPS_MAX_HEAD, SPA_REPLY } from "../lib/server/https_spa.ts";
import { get, makeCert, rawRequest, readAll, type Target, text } from "./https_rig.ts";

const TOOL = new URL("./tools/https_node.ts", import.meta.url).pathname;

Deno.test({
  name: "https under Node: the fixed reply, the packet, 431, and held connections closed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!(await haveCommand("node"))) return skip("node is not installed");
    const cert = await makeCert();
    const bundle = `${cert.dir}/https.mjs`;
    const b = await new Deno.Command("deno", {
      args: ["bundle", "--quiet", "--platform", "node", "-o", bundle, TOOL],
      stderr: "piped",
    }).output();
    assert(b.success, `deno bundle: ${new TextDecoder().decode(b.stderr)}`);
    const p = new Background(["node", bundle, cert.certFile, cert.keyFile]);
    const held: Deno.Conn[] = [];
    try {
      await p.waitFor(/node https \d+/, 20_000);
      const port = Number(/node https (\d+)/.exec(p.output)![1]);
      const t: Target = { hostname: "127.0.0.1", port, ca: cert.ca };
      assertEquals(await get(t, "/" + "Q".repeat(200)), SPA_REPLY);
      await p.waitFor(/pkt 127\.0\.0\.1 200/, 5000);
      const big = await rawRequest(t, `GET / HTTP/1.1\r\nX: ${"x".repeat(HTTPS_MAX_HEAD)}\r\n\r\n`);
      assert(text(big).startsWith("HTTP/1.1 431 "), text(big));
      const half = await Deno.connect({ hostname: "127.0.0.1", port });
      await half.write(new Uint8Array([0x16, 0x03, 0x01]));
      held.push(half);
      const slow = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [cert.ca] });
      await slow.write(new TextEncoder().encode("GET /AAAA"));
      held.push(slow);
      // Both end by the server's hand (handshake timeout, connection lifetime).
      for (const c of held) assertEquals((await readAll(c)).length, 0);
      assertEquals(await get(t, "/" + "R".repeat(150)), SPA_REPLY);
    } finally {
      for (const c of held) {
        try {
          c.close();
        } catch {
          // closed by the server
        }
      }
      await p.stop();
      await Deno.remove(cert.dir, { recursive: true });
    }
  },
});
