import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { DEFAULT_CSP, loadWebSite, metaCsp, WEB_MAX_FILES } from "./https_web.ts";

Deno.test("https web: the page's meta CSP becomes the header, with frame-ancestors added", () => {
  const html = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; ` +
    `script-src &#39;sha256-x&#39;">`;
  assertEquals(metaCsp(html), "default-src 'none'; script-src 'sha256-x'; frame-ancestors 'none'");
  assertEquals(
    metaCsp(
      `<meta content="default-src 'self'; frame-ancestors 'self'" http-equiv="Content-Security-Policy">`,
    ),
    "default-src 'self'; frame-ancestors 'self'",
  );
  assertEquals(metaCsp("<title>no policy</title>"), undefined);
});

Deno.test("https web: a CSP that would split the response (CR, LF, non-ASCII) is not sent; the default is", async () => {
  for (const bad of ["default-src 'none'\r\nSet-Cookie: a=b", "default-src 'none'\nX: y", "é"]) {
    assertEquals(
      metaCsp(`<meta http-equiv="Content-Security-Policy" content="${bad}">`),
      undefined,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "https_web_" });
  try {
    await Deno.writeTextFile(
      `${dir}/index.html`,
      `<meta http-equiv="Content-Security-Policy" content="a\r\nSet-Cookie: x=1">`,
    );
    assertEquals(loadWebSite(dir).csp, DEFAULT_CSP);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("https web: limits on files, odd names and a web folder that is a link", async () => {
  const base = await Deno.makeTempDir({ prefix: "https_web_" });
  try {
    const dir = `${base}/web`;
    await Deno.mkdir(`${dir}/a/b/c/d`, { recursive: true });
    for (let i = 0; i < WEB_MAX_FILES + 5; i++) await Deno.writeTextFile(`${dir}/f${i}.txt`, "x");
    await Deno.writeTextFile(`${dir}/a/b/c/d/deep.txt`, "too deep");
    await Deno.writeTextFile(`${dir}/sp ace.txt`, "odd name");
    await Deno.writeTextFile(`${dir}/%2e.txt`, "odd name");
    const site = loadWebSite(dir);
    assertEquals(site.files.size, WEB_MAX_FILES);
    assert(![...site.files.keys()].some((k) => k.includes("deep") || k.includes(" ")));
    assert(site.skipped.some((s) => s.includes("more than")));
    assert(site.skipped.some((s) => s.includes("deeper than")));
    assert(site.skipped.some((s) => s.includes("the name is not served")));
    await Deno.symlink(dir, `${base}/link`);
    assertThrows(() => loadWebSite(`${base}/link`), Error, "not a folder");
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
