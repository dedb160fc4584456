/**
 * Drives the browser page served by fwknopd-ts's HTTPS endpoint as a user
 * would: loads it, fills the form, clicks "Send SPA"; optionally waits for
 * the service worker, cuts the network and loads the page again. The same
 * Chromium and puppeteer-core as `web_browser.ts`; the browser trusts the
 * test certificate by its SPKI hash. Run inside the client's namespace:
 *
 *     ip netns exec NS deno run -A tests/https_browser.ts '<JSON of an HttpsRun>'
 *
 * Prints `RESULT <JSON of an HttpsResult>` at the end.
 *
 * @module
 */
import puppeteer from "npm:puppeteer-core@25.19.0";
import { CHROMIUM, CHROMIUM_FLAGS } from "./web_browser.ts";

/** What one run does. */
export interface HttpsRun {
  /** The page, such as `https://192.0.2.2:8443/`. */
  url: string;
  /** base64 SHA-256 of the server certificate's SPKI. */
  spki: string;
  /** The form's fields by element id (`spa-server-proto` is a select). */
  fill: Record<string, string>;
  /** Screenshot path prefix (`-loaded.png`, `-filled.png`, `-sent.png`, `-offline.png`). */
  shots?: string;
  /** Cut the network (this interface down) and load the page again. */
  offlineLink?: string;
}

/** What the page did. */
export interface HttpsResult {
  /** URLs the page asked for (its own files and the SPA request). */
  requests: string[];
  /** Packets the page says it sent. */
  sent: number;
  /** `#status` text. */
  status: string;
  /** Whether a service worker controls the page. */
  serviceWorker?: boolean;
  /** Whether the page loaded again without the network, with its form. */
  offlineReload?: boolean;
}

type Page = import("npm:puppeteer-core@25.19.0").Page;

async function fill(page: Page, fields: Record<string, string>): Promise<void> {
  for (const [id, value] of Object.entries(fields)) {
    if (id === "spa-server-proto") {
      await page.select(`#${id}`, value);
      continue;
    }
    await page.click(`#${id}`, { count: 3 });
    await page.evaluate(`document.getElementById(${JSON.stringify(id)}).value = ""`);
    await page.type(`#${id}`, value);
  }
}

async function offline(page: Page, link: string, shots?: string): Promise<Partial<HttpsResult>> {
  const serviceWorker = await page.evaluate(`Promise.race([
    navigator.serviceWorker.ready.then(() => true),
    new Promise((r) => setTimeout(() => r(false), 10000)),
  ])`) as boolean;
  // Controlled from the next load on: load once more online, then cut the wire.
  await page.reload({ waitUntil: "load" });
  await page.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
  const cut = await new Deno.Command("ip", { args: ["link", "set", link, "down"] }).output();
  if (!cut.success) throw new Error(`Cannot cut the network: ip link set ${link} down failed`);
  await page.reload({ waitUntil: "load", timeout: 15_000 });
  const offlineReload = await page.waitForSelector("#spa-form", { timeout: 10_000 })
    .then(() => true, () => false);
  if (shots !== undefined) await page.screenshot({ path: `${shots}-offline.png`, fullPage: true });
  return { serviceWorker, offlineReload };
}

/**
 * Runs the page once.
 *
 * @param run What to do.
 * @returns What the page did.
 */
export async function driveHttps(run: HttpsRun): Promise<HttpsResult> {
  const profile = await Deno.makeTempDir({ prefix: "https-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [...CHROMIUM_FLAGS, `--ignore-certificate-errors-spki-list=${run.spki}`],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 412, height: 915, deviceScaleFactor: 1 });
    const requests: string[] = [];
    const cdp = await page.createCDPSession();
    await cdp.send("Network.enable");
    cdp.on("Network.requestWillBeSent", (e) => requests.push(e.request.url));
    await page.goto(run.url, { waitUntil: "load" });
    await page.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
    if (run.shots !== undefined) await page.screenshot({ path: `${run.shots}-loaded.png` });
    await fill(page, run.fill);
    if (run.shots !== undefined) await page.screenshot({ path: `${run.shots}-filled.png` });
    await page.click("#send");
    await page.waitForSelector("body[data-sent]", { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 1500)); // the request completes
    if (run.shots !== undefined) await page.screenshot({ path: `${run.shots}-sent.png` });
    const result: HttpsResult = {
      requests: [...requests],
      sent: Number(await page.evaluate('document.body.dataset.sent ?? "0"')),
      status: await page.$eval("#status", (e) => e.textContent ?? ""),
    };
    if (run.offlineLink === undefined) return result;
    return { ...result, ...await offline(page, run.offlineLink, run.shots) };
  } finally {
    await browser.close();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const result = await driveHttps(JSON.parse(Deno.args[0] ?? "{}") as HttpsRun);
  // deno-lint-ignore no-console
  console.log(`RESULT ${JSON.stringify(result)}`);
}
