import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { makeTestCa, type TestCa } from "../../tests/alerts_ca.ts";
import { haveCommand, skip } from "../../tests/env.ts";
import { alertRecord } from "./record.ts";
import { type FetchLike, postAlert, type WebhookError } from "./webhook.ts";

const REC = alertRecord("grant", "info", "[198.51.100.7] (stanza #1) Access granted", {
  code: "grant",
  src: "198.51.100.7",
  stanza: 1,
  args: ["198.51.100.7", "tcp/22", "1796000000", "spa"],
}, "gw.test");

/** An HTTPS receiver on loopback with the test CA's certificate. */
function receiver(ca: TestCa, handler: (r: Request) => Response | Promise<Response>) {
  const seen: { body: string; type: string | null }[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: ca.cert,
    key: ca.key,
    onListen: () => {},
  }, async (r) => {
    seen.push({ body: await r.text(), type: r.headers.get("content-type") });
    return handler(r);
  });
  const url = new URL(`https://localhost:${server.addr.port}/hook?token=t`);
  return { server, url, seen };
}

async function failure(p: Promise<void>): Promise<WebhookError> {
  try {
    await p;
  } catch (e) {
    return e as WebhookError;
  }
  throw new Error("the post should have failed");
}

Deno.test("webhook: the JSON record is posted over verified HTTPS; hostile answers stay bounded", async (t) => {
  if (!(await haveCommand("openssl", ["version"]))) return skip("openssl is not installed");
  const ca = await makeTestCa();
  const client = Deno.createHttpClient({ caCerts: [ca.ca] });
  const trusted: FetchLike = (u, i) => fetch(u, { ...i, client });
  let mode = "ok";
  const r = receiver(ca, () => {
    if (mode === "redirect") {
      return new Response(null, { status: 302, headers: { location: "http://127.0.0.1:1/" } });
    }
    if (mode === "500") return new Response("busy", { status: 500 });
    if (mode === "404") return new Response("no", { status: 404 });
    if (mode === "429") return new Response("slow down", { status: 429 });
    if (mode === "endless") {
      const body = new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(65536)) });
      return new Response(body, { status: 200 });
    }
    return new Response("ok");
  });
  try {
    await t.step("delivered: the record as sent, as JSON", async () => {
      await postAlert(r.url, REC, 3000, undefined, trusted);
      assertEquals(r.seen.length, 1);
      assertEquals(JSON.parse(r.seen[0]!.body), JSON.parse(JSON.stringify(REC)));
      assertEquals(r.seen[0]!.type, "application/json");
    });
    await t.step("a certificate from an unknown CA is refused (nothing posted)", async () => {
      const before = r.seen.length;
      const e = await failure(postAlert(r.url, REC, 3000));
      assertMatch(e.message, /^Cannot post the alert to https:\/\/localhost:\d+: /);
      assertEquals(r.seen.length, before);
    });
    await t.step("a redirect is not followed and not retried", async () => {
      mode = "redirect";
      const e = await failure(postAlert(r.url, REC, 3000, undefined, trusted));
      assertMatch(e.message, /the answer was 302$/);
      assertEquals(e.permanent, true);
    });
    await t.step("5xx and 429 may pass; 404 will not", async () => {
      for (const [m, permanent] of [["500", false], ["429", false], ["404", true]] as const) {
        mode = m;
        const e = await failure(postAlert(r.url, REC, 3000, undefined, trusted));
        assertEquals([e.message.endsWith(`was ${m}`), e.permanent], [true, permanent]);
      }
    });
    await t.step("an endless answer body is not read", async () => {
      mode = "endless";
      await postAlert(r.url, REC, 3000, undefined, trusted);
    });
    assert(!r.seen.some((s) => /KEY|hmac/i.test(s.body)), "no key material in any post");
  } finally {
    await r.server.shutdown();
    client.close();
    await Deno.remove(ca.dir, { recursive: true });
  }
});

Deno.test("webhook: a receiver that never answers fails at the time limit", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of l) conns.push(c);
  })();
  try {
    const url = new URL(`http://127.0.0.1:${(l.addr as Deno.NetAddr).port}/hook`);
    const e = await failure(postAlert(url, REC, 300));
    assertMatch(e.message, /no answer within 300 ms$/);
    assertEquals(e.permanent, false);
  } finally {
    l.close();
    for (const c of conns) c.close();
    await accepting.catch(() => {});
  }
});
