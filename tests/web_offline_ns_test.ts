/**
 * The page's service worker in Chromium: served over http://127.0.0.1 (a
 * secure context, like HTTPS) inside a namespace of its own, the worker
 * takes control, and the page loads and is wired again after its server is
 * stopped. Every request goes to the page's own server.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { Netns, netnsUnavailable } from "./netns.ts";
import type { BrowserResult } from "./web_browser.ts";
import { CHROMIUM } from "./web_browser.ts";
import { buildWeb } from "../scripts/build_web.ts";

const ROOT = new URL("../", import.meta.url);
const DRIVER = new URL("./web_browser.ts", import.meta.url).pathname;
/** The dev lock file, by path: the driver runs from any working directory. */
const LOCK = new URL("../deno.dev.lock", import.meta.url).pathname;
const STATIC = new URL("./web_static.ts", import.meta.url).pathname;
const ORIGIN = "http://127.0.0.1:18080";

Deno.test({
  name: "web: the service worker keeps the page working with its server gone",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const why = await netnsUnavailable() ??
      (await haveCommand(CHROMIUM) ? undefined : "chromium is not installed");
    if (why !== undefined) return skip(why);
    const shots = Deno.env.get("UPDATE_SCREENSHOTS") === "1"
      ? new URL("docs/img", ROOT).pathname
      : await Deno.makeTempDir({ prefix: "web-shots-" });
    const site = await Deno.makeTempDir({ prefix: "web-site-" });
    await buildWeb(ROOT, site);
    const ns = await Netns.create("woff");
    try {
      const server = ns.spawn([
        "deno",
        "run",
        "--allow-net",
        "--allow-read",
        STATIC,
        site,
        "127.0.0.1",
        "18080",
      ]);
      await server.waitFor(/serving/);
      const run = ns.spawn([
        "deno",
        "run",
        "-A",
        `--lock=${LOCK}`,
        DRIVER,
        JSON.stringify({ url: `${ORIGIN}/`, offline: true, shots: `${shots}/web-sw` }),
      ]);
      await run.waitFor(/^CONTROLLED$/m, 60_000);
      await server.stop();
      await run.exited;
      await run.stop();
      const m = /^RESULT (.*)$/m.exec(run.output);
      assert(m !== null, run.output);
      const r = JSON.parse(m[1]!) as BrowserResult;
      assertEquals(r.offlineReady, true, run.output);
      assertEquals(r.sent, 0);
      const elsewhere = r.requests.filter((u) => !u.startsWith(`${ORIGIN}/`));
      assertEquals(elsewhere, []);
      // The page was asked for twice: the second time with its server stopped.
      assertEquals(r.requests.filter((u) => u === `${ORIGIN}/`).length, 2, JSON.stringify(r));
      report(`web: offline start after ${r.requests.length} requests, all to the page's server`);
    } finally {
      await ns.delete();
      await Deno.remove(site, { recursive: true });
    }
  },
});
