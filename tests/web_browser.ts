/**
 * Drives the browser client page in Debian's headless Chromium through
 * puppeteer-core (the system browser; nothing is downloaded). Run it inside
 * the client's network namespace, so the browser's traffic can only reach
 * the namespace's addresses:
 *
 *     ip netns exec NS deno run -A tests/web_browser.ts '<JSON of a BrowserRun>'
 *
 * It prints `SENT <n>` once the page has sent (or given up) and, at the end,
 * `RESULT <JSON of a BrowserResult>`: every request the page made, recorded
 * through the DevTools protocol's Network domain, and what the page showed.
 *
 * @module
 */
import puppeteer, { type Page } from "npm:puppeteer-core@25.19.0";

/** Debian's Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** The flags every run uses: no sandbox (root), no GPU, no network of its own. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** What one run does. */
export interface BrowserRun {
  /** The page URL, fragment included. */
  url: string;
  /** Settings to put in localStorage before loading `url` (the page's store format). */
  stored?: Record<string, string>;
  /** Screenshot path prefix (`-qr.png`, `-sent.png`, `-offline.png`, `-expired.png` are added). */
  shots?: string;
  /** What a user types after the page loaded: QR text (then "Read keys"), fields by id, then "Send SPA". */
  fill?: { qrText?: string; fields?: Record<string, string>; send?: boolean; resend?: boolean };
  /**
   * Check the service worker: once it controls the page, print `CONTROLLED`,
   * wait until the server is gone (the test stops it), and load the page again.
   */
  offline?: boolean;
  /** Seconds to wait for the countdown to say "expired" (0: do not wait). */
  waitExpiry?: number;
}

/** What the page did. */
export interface BrowserResult {
  /** URLs of every request, the page's own file included. */
  requests: string[];
  /** Packets the page says it sent (`body[data-sent]`). */
  sent: number;
  /** `#status`, `#countdown` and `#notice` texts. */
  status: string;
  countdown: string;
  notice: string;
  /** The KEY_BASE64 field's value, and what localStorage holds for the page at the end. */
  keyField: string;
  stored: string | null;
  /** With `offline`: whether the page loaded and was wired again with its server gone. */
  offlineReady?: boolean;
}

const STORE_KEY = "fwknop-ts.settings";

async function text(page: Page, id: string) {
  return await page.$eval(`#${id}`, (e) => e.textContent ?? "");
}

/** Waits for the service worker, then for the server to go away, then loads the page again. */
async function offlineCheck(page: Page, url: string, progress: (line: string) => void) {
  await page.evaluate("navigator.serviceWorker.ready");
  if (!(await page.evaluate("navigator.serviceWorker.controller !== null"))) await page.reload();
  await page.waitForFunction("navigator.serviceWorker.controller !== null", { timeout: 10_000 });
  progress("CONTROLLED");
  for (let i = 0; i < 100; i++) {
    const up = await fetch(url).then((r) => (r.body?.cancel(), true), () => false);
    if (!up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.reload();
  return await page.waitForSelector("body[data-ready=true]", { timeout: 10_000 })
    .then(() => true, () => false);
}

/** Types as a user would: the QR text and "Read keys", the fields, then "Send SPA". */
async function fill(page: Page, f: NonNullable<BrowserRun["fill"]>, shots?: string) {
  if (f.qrText !== undefined) {
    await page.type("#qr-text", f.qrText);
    if (shots !== undefined) await page.screenshot({ path: `${shots}-qr.png`, fullPage: true });
    await page.click("#qr-apply");
  }
  for (const [id, value] of Object.entries(f.fields ?? {})) {
    // Fields under "More" are in a closed <details>: open it, as a user would.
    await page.$eval(`#${id}`, (e) => {
      const f = e as unknown as { value: string; closest(s: string): { open: boolean } | null };
      const more = f.closest("details");
      if (more !== null) more.open = true;
      f.value = "";
    });
    await page.type(`#${id}`, value);
  }
  if (f.send === true) await page.click("#send");
  if (f.resend === true) {
    await page.waitForSelector("body[data-sent='1']", { timeout: 5_000 });
    await page.click("#resend");
    await page.waitForSelector("body[data-sent='2']", { timeout: 5_000 });
  }
}

/**
 * Loads the page and reports what it did.
 *
 * @param run What to do.
 * @param progress Receives `SENT <n>` when the page has sent or given up.
 * @returns The requests and the page's texts.
 */
export async function drive(
  run: BrowserRun,
  progress: (line: string) => void,
): Promise<BrowserResult> {
  const profile = await Deno.makeTempDir({ prefix: "web-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: CHROMIUM_FLAGS,
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 412, height: 915, deviceScaleFactor: 1 });
    const requests: string[] = [];
    const cdp = await page.createCDPSession();
    await cdp.send("Network.enable");
    cdp.on("Network.requestWillBeSent", (e) => requests.push(e.request.url));
    if (run.stored !== undefined) {
      await page.goto(run.url.replace(/#.*/, ""));
      await page.evaluate(
        (k, v) => localStorage.setItem(k, v),
        STORE_KEY,
        JSON.stringify(run.stored),
      );
      await page.goto("about:blank");
      requests.length = 0;
    }
    await page.goto(run.url);
    await page.waitForSelector("body[data-ready=true]", { timeout: 10_000 });
    if (run.fill !== undefined) await fill(page, run.fill, run.shots);
    await page.waitForSelector("body[data-sent]", { timeout: 3_000 }).catch(() => {});
    // The no-cors fetch settles (fwknopd's TCP server closes without a reply).
    await new Promise((r) => setTimeout(r, 1500));
    if (run.shots !== undefined && run.offline !== true) {
      await page.screenshot({ path: `${run.shots}-sent.png`, fullPage: true });
    }
    const sent = Number(await page.evaluate('document.body.dataset.sent ?? "0"'));
    progress(`SENT ${sent}`);
    let offlineReady: boolean | undefined;
    if (run.offline === true) {
      offlineReady = await offlineCheck(page, run.url, progress);
      if (run.shots !== undefined) {
        await page.screenshot({ path: `${run.shots}-offline.png`, fullPage: true });
      }
    }
    if ((run.waitExpiry ?? 0) > 0) {
      await page.waitForFunction(
        'document.getElementById("countdown")?.textContent?.includes("expired")',
        { timeout: run.waitExpiry! * 1000 },
      );
      if (run.shots !== undefined) {
        await page.screenshot({ path: `${run.shots}-expired.png`, fullPage: true });
      }
    }
    return {
      requests,
      sent,
      status: await text(page, "status"),
      countdown: await text(page, "countdown"),
      notice: await text(page, "notice"),
      keyField: await page.$eval("#key-base64", (e) => (e as unknown as { value: string }).value),
      stored: await page.evaluate(`localStorage.getItem("${STORE_KEY}")`) as string | null,
      ...(offlineReady === undefined ? {} : { offlineReady }),
    };
  } finally {
    await browser.close();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const run = JSON.parse(Deno.args[0] ?? "{}") as BrowserRun;
  // deno-lint-ignore no-console
  const result = await drive(run, (line) => console.log(line));
  // deno-lint-ignore no-console
  console.log(`RESULT ${JSON.stringify(result)}`);
}
