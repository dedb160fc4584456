/**
 * The browser page served by fwknopd-ts's HTTPS endpoint, in Debian's
 * headless Chromium, behind a default-drop firewall (namespaces): a wrong
 * key opens nothing; filling the form and clicking "Send SPA" opens the
 * port for the browser's address; a replay of the browser's own request is
 * refused, and the reply bytes to a valid, an invalid and a replayed
 * request are identical; the page asks for nothing but its own files and
 * the SPA; the service worker is registered and the page loads again with
 * the network cut. Screenshots go to docs/img/https-*.png.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { netnsUnavailable, poll } from "./netns.ts";
import { type OurServer, startOurs } from "./ours.ts";
import { C4, pair, S4 } from "./nft_env.ts";
import { makeCert, spkiHash } from "./https_rig.ts";
import { SPA_REPLY } from "../lib/server/https_spa.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DRIVER = new URL("./https_browser.ts", import.meta.url).pathname;
const GET = new URL("./tools/https_get.ts", import.meta.url).pathname;
const SHOTS = new URL("../docs/img/https", import.meta.url).pathname;
const PORT = 10022;
const HTTPS = 8443;
const KEY = "aHR0cHMtYnJvd3Nlci1rZXktMzItYnl0ZXMtbG9uZyE=";
const HMAC = "aHR0cHMtYnJvd3Nlci1obWFjLWtleS1mb3ItdGhlLXRlc3QtMTIzNDU2Nzg5MGFiY2Q=";
const WRONG = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktISE=";
const ACCESS = `SOURCE ANY\nKEY_BASE64 ${KEY}\nHMAC_KEY_BASE64 ${HMAC}\nFW_ACCESS_TIMEOUT 10\n`;

function form(key: string): Record<string, string> {
  return {
    "spa-server": S4,
    "spa-server-port": String(HTTPS),
    "spa-server-proto": "https",
    "access": `tcp/${PORT}`,
    "key-base64": key,
    "hmac-key-base64": HMAC,
  };
}

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

Deno.test("https browser: the served page opens the port as a user would; wrong keys and replays do not; offline reload", async () => {
  const why = (await netnsUnavailable()) ??
    (await haveCommand("chromium", ["--version"]) ? undefined : "chromium is not installed");
  if (why !== undefined) return skip(why);
  const dir = await Deno.makeTempDir({ prefix: "https_browser_" });
  const built = await new Deno.Command("deno", {
    args: ["task", "web", `${dir}/web`],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert(built.success, new TextDecoder().decode(built.stderr));
  const cert = await makeCert([S4]);
  const p = await pair([PORT]);
  let ours: OurServer | undefined;
  try {
    const s = p.server;
    for (
      const rule of [
        ["-i", "lo", "-j", "ACCEPT"],
        ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
        ["-p", "tcp", "--dport", String(HTTPS), "-j", "ACCEPT"],
      ]
    ) await s.must(["iptables", "-A", "INPUT", ...rule]);
    await s.must(["iptables", "-P", "INPUT", "DROP"]);
    ours = await startOurs(
      s,
      `PCAP_INTF ${p.intf};\nPCAP_FILTER udp port 62201;\nENABLE_HTTPS_SERVER Y;\n` +
        `HTTPS_SERVER_PORT ${HTTPS};\nHTTPS_CERT_FILE ${cert.certFile};\n` +
        `HTTPS_KEY_FILE ${cert.keyFile};\nHTTPS_WEB_DIR ${dir}/web;\n`,
      ACCESS,
    );
    const log = () => ours!.daemon.output.slice(-3000);
    const drive = async (run: Record<string, unknown>) => {
      const r = await p.client.sh(["deno", "run", "-A", DRIVER, JSON.stringify(run)], 90_000);
      const line = r.out.split("\n").find((l) => l.startsWith("RESULT "));
      assert(line !== undefined, `${r.out}\ndaemon:\n${log()}`);
      return JSON.parse(line.slice(7));
    };
    const spki = await spkiHash(cert.certFile);
    const url = `https://${S4}:${HTTPS}/`;
    assert(!(await p.client.tcpOpen(S4, PORT)), "open before any packet");

    // A wrong key: the page sends, the daemon refuses, nothing opens.
    const wrong = await drive({ url, spki, fill: form(WRONG) });
    assertEquals(wrong.sent, 1, JSON.stringify(wrong));
    await ours.daemon.waitFor(/192\.0\.2\.1.*(HMAC|[Dd]ecrypt)/, 5000);
    assert(!(await p.client.tcpOpen(S4, PORT)), `a wrong key opened the port:\n${log()}`);

    // The right key, typed into the form and sent with the button.
    const ok = await drive({ url, spki, fill: form(KEY), shots: SHOTS });
    const spa = (ok.requests as string[]).filter((u) => u.length > url.length + 100);
    assertEquals(spa.length, 1, JSON.stringify(ok.requests));
    for (const u of ok.requests as string[]) assert(u.startsWith(url), `the page asked for ${u}`);
    assert(await poll(() => p.client.tcpOpen(S4, PORT), true, 5000), `not opened:\n${log()}`);
    assert(/Added access rule|ACCEPT.*192\.0\.2\.1/.test(ours.daemon.output), log());

    // The browser's request again (a replay), a fresh valid one and an invalid one: same bytes.
    const target = spa[0]!.slice(url.length - 1);
    const fresh = "/" + encodeSpa({
      message: `${C4},tcp/${PORT}`,
      messageType: MessageType.ACCESS,
      username: "tester",
      key: b64(KEY),
      hmacKey: b64(HMAC),
      timestamp: Math.floor(Date.now() / 1000),
    }).wire.replaceAll("+", "-").replaceAll("/", "_");
    const got = await p.client.sh([
      "deno",
      "run",
      "--allow-net",
      "--allow-read",
      GET,
      S4,
      String(HTTPS),
      `${cert.dir}/ca.pem`,
      target,
      fresh,
      "/" + "A".repeat(300),
    ]);
    const replies = got.out.trim().split("\n");
    assertEquals(replies.length, 3, got.out);
    for (const r of replies) assertEquals(b64(r), SPA_REPLY, got.out);
    await ours.daemon.waitFor(/[Rr]eplay/, 5000);

    // Installed as a web app: the service worker serves the page with the network cut.
    const links = await p.client.must(["ip", "-o", "link", "show"]);
    const ifname = /\d+: (va\w+)@/.exec(links)?.[1];
    assert(ifname !== undefined, links);
    const off = await drive({ url, spki, fill: form(KEY), shots: SHOTS, offlineLink: ifname });
    assert(off.serviceWorker === true, JSON.stringify(off));
    assert(off.offlineReload === true, JSON.stringify(off));
  } finally {
    await ours?.stop();
    await p.cleanup();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(cert.dir, { recursive: true });
  }
});
