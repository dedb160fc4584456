import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { resolveExternalIp } from "./external_ip.ts";

/** Serves `body` once on loopback and returns the URL. */
function serve(body: string): { url: string; close: () => Promise<void> } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(body),
  );
  return { url: `http://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

Deno.test("-R: the resolver's IPv4 or IPv6 answer is taken, anything else refused", async () => {
  for (
    const [body, want] of [
      ["198.51.100.7\n", "198.51.100.7"],
      ["2001:DB8:0:0::7 extra\n", "2001:db8::7"],
    ]
  ) {
    const s = serve(body!);
    try {
      assertEquals(await resolveExternalIp(s.url, undefined, true), want);
    } finally {
      await s.close();
    }
  }
  const bad = serve("<html>nope</html>\n");
  try {
    await assertRejects(() => resolveExternalIp(bad.url, undefined, true), Error, "IP address");
  } finally {
    await bad.close();
  }
});
