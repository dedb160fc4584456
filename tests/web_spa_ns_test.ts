/**
 * The browser client in a real browser (Debian's headless Chromium), in
 * network namespaces, against fwknopd-ts sniffing SPA over HTTP behind a
 * default-drop firewall: a link with the fragment contract and SEND=Y opens
 * the port until expiry; a wrong key opens nothing; a link with SEND=Y but
 * no key of its own sends nothing even with keys remembered; the page makes
 * no request but the SPA; and the stock fwknopd accepts the page's SPA data
 * as a UDP datagram. With UPDATE_SCREENSHOTS=1 the screenshots of each step
 * go to docs/img/ (used by docs/client.md).
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { link, Netns, netnsUnavailable, poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { defaultDrop, startStockFwknopd } from "./stock_server.ts";
import type { Background } from "./netns.ts";
import type { BrowserResult, BrowserRun } from "./web_browser.ts";
import { CHROMIUM } from "./web_browser.ts";
import { buildWeb } from "../scripts/build_web.ts";
import { b64EncodePadded } from "../lib/spa/base64.ts";

const ROOT = new URL("../", import.meta.url);
const DRIVER = new URL("./web_browser.ts", import.meta.url).pathname;
/** The dev lock file, by path: the driver runs from any working directory. */
const LOCK = new URL("../deno.dev.lock", import.meta.url).pathname;
const CLIENT_IP = "192.0.2.1";
const SERVER_IP = "192.0.2.2";
const SERVICE_PORT = 10022;
const GRANT_SECONDS = 4;
const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;

const key = () => b64EncodePadded(crypto.getRandomValues(new Uint8Array(32)));
const KEYS = {
  KEY_BASE64: key(),
  HMAC_KEY_BASE64: b64EncodePadded(crypto.getRandomValues(new Uint8Array(64))),
};

async function unavailable(): Promise<string | undefined> {
  const why = await netnsUnavailable();
  if (why !== undefined) return why;
  if (!(await haveCommand(CHROMIUM))) return "chromium is not installed (apt-get install chromium)";
  if (!(await haveCommand("fwknopd", ["--help"]))) return "fwknopd is not installed";
  return undefined;
}

function fragment(values: Record<string, string>, send: boolean): string {
  const pairs = Object.entries(values).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return "#" + [...pairs, ...(send ? ["SEND=Y"] : [])].join("&");
}

const TARGET = {
  SPA_SERVER: SERVER_IP,
  SPA_SERVER_PORT: "62201",
  SPA_SERVER_PROTO: "http",
  ACCESS: `tcp/${SERVICE_PORT}`,
  ALLOW_IP: "source",
  FW_TIMEOUT: String(GRANT_SECONDS),
};

/** Runs the driver in the client namespace; resolves once the page has sent, and with the result. */
function browse(ns: Netns, run: BrowserRun): { sent: Promise<void>; done: Promise<BrowserResult> } {
  const b: Background = ns.spawn([
    "deno",
    "run",
    "-A",
    `--lock=${LOCK}`,
    DRIVER,
    JSON.stringify(run),
  ]);
  const sent = b.waitFor(/^SENT \d+$/m, 60_000);
  const done = (async () => {
    await b.exited;
    await b.stop();
    const m = /^RESULT (.*)$/m.exec(b.output);
    if (m === null) throw new Error(`The browser run failed:\n${b.output}`);
    return JSON.parse(m[1]!) as BrowserResult;
  })();
  return { sent, done };
}

/** Requests that left the page's own file. */
const network = (r: BrowserResult) => r.requests.filter((u) => !u.startsWith("file:"));

Deno.test({
  name: "web: the page in Chromium opens fwknopd-ts over HTTP, and only with its own keys",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = await unavailable();
    if (why !== undefined) return skip(why);
    const shots = Deno.env.get("UPDATE_SCREENSHOTS") === "1"
      ? new URL("docs/img", ROOT).pathname
      : await Deno.makeTempDir({ prefix: "web-shots-" });
    const site = await Deno.makeTempDir({ prefix: "web-site-" });
    await buildWeb(ROOT, site);
    await Deno.chmod(site, 0o755);
    const page = `file://${site}/index.html`;
    const client = await Netns.create("wcli");
    const server = await Netns.create("wsrv");
    let ours: OurServer | undefined;
    let listener: Background | undefined;
    try {
      const { bIf } = await link(client, `${CLIENT_IP}/24`, server, `${SERVER_IP}/24`);
      // fwknopd's TCP server port must be reachable, or the browser never sends its request.
      await defaultDrop(server, [["-A", "INPUT", "-p", "tcp", "--dport", "62201", "-j", "ACCEPT"]]);
      listener = server.spawn([
        "deno",
        "run",
        "--allow-net",
        LISTEN,
        SERVER_IP,
        String(SERVICE_PORT),
      ]);
      await listener.waitFor(/listening/);
      const access =
        `SOURCE ANY\nKEY_BASE64 ${KEYS.KEY_BASE64}\nHMAC_KEY_BASE64 ${KEYS.HMAC_KEY_BASE64}\n` +
        "FW_ACCESS_TIMEOUT 30\n";
      ours = await startOurs(
        server,
        `PCAP_INTF ${bIf};\nPCAP_FILTER tcp port 62201 or udp port 62201;\nENABLE_SPA_OVER_HTTP Y;\n` +
          "ENABLE_TCP_SERVER Y;\nALLOW_ANY_USER_AGENT Y;\n",
        access,
      );
      const daemon = ours;
      const closed = async () => !(await client.tcpOpen(SERVER_IP, SERVICE_PORT));
      let spaUrl = "";

      await t.step(
        "a link with SEND=Y and its keys opens the port, which closes at expiry",
        async () => {
          assert(await closed(), "the port is open before the packet");
          const run = browse(client, {
            url: page + fragment({ ...TARGET, ...KEYS }, true),
            shots: `${shots}/web-link`,
            waitExpiry: GRANT_SECONDS + 20,
          });
          await run.sent;
          assert(
            await poll(() => client.tcpOpen(SERVER_IP, SERVICE_PORT), true, 8000),
            "not opened",
          );
          assert(await poll(closed, true, (GRANT_SECONDS + 8) * 1000), "not closed at expiry");
          const r = await run.done;
          assertEquals(r.sent, 1);
          assertMatch(r.status, /^SPA packet sent to 192\.0\.2\.2:62201 \(http\)/);
          assertMatch(r.countdown, /expired/);
          // The page made one request over the network: the SPA, in fwknop's -P http form.
          const net = network(r);
          assertEquals(net.length, 1, JSON.stringify(r.requests));
          assertMatch(net[0]!, /^http:\/\/192\.0\.2\.2:62201\/[A-Za-z0-9_-]{100,}$/);
          spaUrl = net[0]!;
          assertMatch(
            daemon.daemon.output,
            /Added access rule to FWKNOP_INPUT for 192\.0\.2\.1 -> \S+ tcp\/10022, expires at/,
          );
        },
      );

      await t.step(
        "pasting the QR text, typing the server, clicking send and re-send opens the port",
        async () => {
          assert(await poll(closed, true, 5000), "still open from the step before");
          const run = browse(client, {
            url: page,
            shots: `${shots}/web-qr`,
            fill: {
              qrText: `KEY_BASE64:${KEYS.KEY_BASE64} HMAC_KEY_BASE64:${KEYS.HMAC_KEY_BASE64}`,
              fields: { "spa-server": SERVER_IP, access: `tcp/${SERVICE_PORT}`, "fw-timeout": "3" },
              send: true,
              resend: true,
            },
          });
          await run.sent;
          const opened = await poll(() => client.tcpOpen(SERVER_IP, SERVICE_PORT), true, 8000);
          const r = await run.done;
          assert(opened, `not opened: ${JSON.stringify(r)}\n${daemon.daemon.output}`);
          // Send, then Re-send: two requests, two different packets (a re-send is no replay).
          assertEquals(r.sent, 2);
          const net = network(r);
          assertEquals(net.length, 2, JSON.stringify(r.requests));
          assert(net[0] !== net[1], "the re-send repeated the packet");
          assert(!/Replay detected/.test(daemon.daemon.output), daemon.daemon.output);
          assert(await poll(closed, true, 10_000), "not closed at expiry");
        },
      );

      await t.step("a wrong key opens nothing", async () => {
        const run = browse(client, {
          url: page + fragment({ ...TARGET, ...KEYS, KEY_BASE64: key() }, true),
          shots: `${shots}/web-wrong-key`,
        });
        await run.sent;
        assert(!(await poll(() => client.tcpOpen(SERVER_IP, SERVICE_PORT), true, 3000)), "opened");
        const r = await run.done;
        assertEquals(r.sent, 1);
        assertEquals(network(r).length, 1);
      });

      await t.step(
        "attack: SEND=Y without keys in the link sends nothing, with keys remembered",
        async () => {
          const run = browse(client, {
            url: page + fragment(TARGET, true),
            stored: { ...TARGET, ...KEYS },
            shots: `${shots}/web-attack`,
          });
          await run.sent;
          const r = await run.done;
          assertEquals(r.sent, 0);
          assertEquals(network(r), []);
          assertMatch(r.notice, /carries no key of its own: nothing was sent/);
          assert(await closed(), "the port opened");
        },
      );

      await t.step(
        "attack: a link naming another server gets no remembered key, and sending from it keeps them",
        async () => {
          const stored = { ...TARGET, ...KEYS };
          const run = browse(client, {
            url: page + fragment({ ...TARGET, SPA_SERVER: "203.0.113.66" }, false),
            stored,
            fill: { send: true },
            shots: `${shots}/web-other-server`,
          });
          await run.sent;
          const r = await run.done;
          assertEquals(r.keyField, "");
          assertMatch(r.notice, /keys remembered on this device were not loaded/);
          assertMatch(r.status, /^Cannot send: give KEY_BASE64/);
          assertEquals(network(r), []);
          assertEquals(JSON.parse(r.stored ?? "null"), stored);
        },
      );

      await t.step("attack: markup in a link's values stays text and sends nothing", async () => {
        const run = browse(client, {
          url: page +
            fragment({ ...TARGET, ...KEYS, SPA_SERVER: "<img src=x onerror=alert(1)>" }, true),
        });
        await run.sent;
        const r = await run.done;
        // The page tried (SEND=Y with its own key) and refused the server by name, as text.
        assertEquals(
          r.status,
          'Cannot send: SPA_SERVER "<img src=x onerror=alert(1)>" is not a host',
        );
        assertEquals(network(r), []);
      });

      await ours.stop();
      ours = undefined;

      await t.step(
        "the stock fwknopd accepts the browser's SPA data as a UDP datagram",
        async () => {
          const data = spaUrl.slice(spaUrl.lastIndexOf("/") + 1).replaceAll("-", "+").replaceAll(
            "_",
            "/",
          );
          const stock = await startStockFwknopd(server, bIf, "", access);
          try {
            assert(await closed(), "open before the datagram");
            await client.must([
              "bash",
              "-c",
              `printf %s "$1" > /dev/udp/${SERVER_IP}/62201`,
              "-",
              data,
            ]);
            assert(
              await poll(() => client.tcpOpen(SERVER_IP, SERVICE_PORT), true, 8000),
              "not opened",
            );
            await stock.daemon.waitFor(/Added access rule to FWKNOP_INPUT for 192\.0\.2\.1/, 3000);
          } finally {
            await stock.stop();
          }
        },
      );
      report(`web: Chromium page against fwknopd-ts and stock fwknopd; screenshots in ${shots}`);
    } finally {
      await ours?.stop();
      await listener?.stop();
      await client.delete();
      await server.delete();
      await Deno.remove(site, { recursive: true });
    }
  },
});
