/**
 * `deno task web`: the page is one self-contained file under a strict
 * Content-Security-Policy, its script holds nothing that needs Deno or Node,
 * and it names no other host.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { buildWeb, platformUses } from "../scripts/build_web.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("web build: index.html, sw.js, manifest and icons; hash-based CSP; no other host", async () => {
  const out = await Deno.makeTempDir({ prefix: "web-build-" });
  try {
    const files = (await buildWeb(ROOT, out)).map((f) => f.slice(out.length + 1)).sort();
    assertEquals(files, [
      "icon-192.png",
      "icon-512.png",
      "index.html",
      "manifest.webmanifest",
      "sw.js",
    ]);
    const html = await Deno.readTextFile(`${out}/index.html`);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? "";
    assertMatch(csp, /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]{44}'; /);
    assert(!/unsafe-inline|unsafe-eval/.test(csp), csp);
    // The inline script's hash is the one the policy names.
    const js = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(js));
    assert(csp.includes(btoa(String.fromCharCode(...new Uint8Array(d)))), "script hash");
    assertEquals(platformUses(js), []);
    assert(!/\son[a-z]+=/i.test(html.replace(js, "")), "no inline event handler");
    // Nothing loads from another host: no absolute src/href, no @import, no CDN.
    assert(!/(src|href)="(https?:)?\/\//i.test(html), "an absolute src or href");
    assert(!/@import|url\(/.test(html), "a stylesheet import");
    const sw = await Deno.readTextFile(`${out}/sw.js`);
    assert(!sw.includes("__BUILD__"), "the cache name carries the build");
    const manifest = JSON.parse(await Deno.readTextFile(`${out}/manifest.webmanifest`));
    assertEquals(manifest.icons.map((i: { src: string }) => i.src), [
      "icon-192.png",
      "icon-512.png",
    ]);
    const png = await Deno.readFile(`${out}/icon-192.png`);
    assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("web build: the platform check catches node: imports and the Deno global", () => {
  assertEquals(platformUses(`import x from "node:crypto";Deno.args;`), [
    `"node:crypto"`,
    "Deno.args",
  ]);
  assertEquals(platformUses(`const a = 1;`), []);
});
