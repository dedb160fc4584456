/**
 * Alerts end to end: the daemon (UDP server, fake firewall) mails a real
 * exim4 in its own namespace over STARTTLS and posts to an HTTPS receiver
 * with a test CA. A grant and a refusal arrive by both ways with the right
 * fields and no key; then the receiver goes away: the daemon keeps granting,
 * tries each alert again, gives up, and counts what its full queue dropped.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { makeTestCa } from "./alerts_ca.ts";
import { haveCommand, report, skip } from "./env.ts";
import { deliveredMail, EXIM, eximAddresses, startExim } from "./exim_ns.ts";
import { netnsUnavailable } from "./netns.ts";
import { fakeIptables } from "./spa_rig.ts";
import { startUdp, udpRig } from "./udp_rig.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import { main as serverMain } from "../server.ts";
import { MessageType } from "../lib/spa/message.ts";
import { b64Encode } from "../lib/spa/base64.ts";

const enc = new TextEncoder();
const KEY = "alert-rijndael-key";
const HMAC = "alert-hmac-key";

async function send(port: number, allow: string, username: string): Promise<void> {
  const wire = encodeSpa({
    message: `${allow},tcp/22`,
    messageType: MessageType.ACCESS,
    username,
    key: enc.encode(KEY),
    hmacKey: enc.encode(HMAC),
    timestamp: Math.floor(Date.now() / 1000),
  }).wire;
  const s = createSocket("udp4");
  await new Promise((r) => s.send(wire, port, "127.0.0.1", r));
  s.close();
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Key material as it could leak: text, hex, base64. */
function leaks(text: string): string[] {
  const forms = [KEY, HMAC].flatMap((k) => [
    k,
    [...enc.encode(k)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    b64Encode(enc.encode(k)),
  ]);
  return forms.filter((f) => text.includes(f));
}

Deno.test({
  name:
    "alerts: grant and refusal by mail (exim, STARTTLS) and webhook (HTTPS); a dead receiver never slows granting",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const why = await netnsUnavailable();
  if (why !== undefined) return skip(why);
  if (!(await haveCommand(EXIM, ["-bV"]))) {
    return skip("exim4 is not installed (exim4-daemon-light)");
  }
  if (!(await haveCommand("openssl", ["version"]))) return skip("openssl is not installed");
  const ca = await makeTestCa([`IP:${eximAddresses().mail}`]);
  const mail = await startExim(ca);
  const posts: Record<string, unknown>[] = [];
  const receiver = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: ca.cert,
    key: ca.key,
    onListen: () => {},
  }, async (r) => {
    posts.push(await r.json());
    return new Response("ok");
  });
  const hookPort = receiver.addr.port;
  const rig = await udpRig(
    "fkts-alerts-",
    (dir) =>
      `FIREWALL_EXE ${dir}/iptables;\nENABLE_IPV6 N;\nEMAIL_ADDRESSES alerts@fkts.test;\n` +
      `ALERT_SMTP_SERVER ${mail.ip}:25;\nALERT_SMTP_STARTTLS Y;\nALERT_FROM fwknopd@gw.fkts.test;\n` +
      `ALERT_EMAIL_EVENTS grant,refusal;\nALERT_WEBHOOK_URL https://localhost:${hookPort}/hook;\n` +
      // ALERT_TIMEOUT bounds a whole SMTP session with STARTTLS, and at exit the
      // delivery in hand: 2 s could run out on a loaded machine and count a
      // mail as failed. The dead receiver refuses at once, so nothing waits it out.
      "ALERT_TIMEOUT 10;\nALERT_RETRIES 1;\nALERT_QUEUE_SIZE 3;\n",
    `SOURCE ANY\nKEY ${KEY}\nHMAC_KEY ${HMAC}\nREQUIRE_USERNAME alice\n`,
  );
  await fakeIptables(rig.dir);
  const d = startUdp(rig, [`DENO_CERT=${ca.caFile}`]);
  try {
    await d.waitFor(/Starting fwknopd main event loop/, 30_000);
    assertMatch(
      d.output,
      /Alerts: mail for grant,refusal to alerts@fkts\.test through 10\.213\.\d+\.2:25 \(STARTTLS required\)/,
    );
    await send(rig.port, "198.51.100.9", "alice");
    await d.waitFor(/Added access rule to FWKNOP_INPUT for 198\.51\.100\.9/);
    await send(rig.port, "198.51.100.10", "mallory");
    await d.waitFor(/does not match required username: alice/);

    const mails = await until("two mails", async () => {
      const m = await deliveredMail(mail.inbox);
      return m.length >= 2 ? m : undefined;
    });
    const grantMail = mails.find((m) =>
      /^Subject: \[fwknopd\] \S+: grant from 127\.0\.0\.1$/m.test(m)
    );
    const refusalMail = mails.find((m) =>
      /^Subject: \[fwknopd\] \S+: refusal from 127\.0\.0\.1$/m.test(m)
    );
    assert(grantMail !== undefined && refusalMail !== undefined, mails.join("\n-----\n"));
    assertMatch(
      grantMail,
      /with esmtps\s+\(TLS1\.[23]\)/,
      `delivered over STARTTLS:\n${grantMail}`,
    );
    assertMatch(grantMail, /^From: <fwknopd@gw\.fkts\.test>$/m);
    assertMatch(grantMail, /Access granted to 198\.51\.100\.9 for tcp\/22 until /);
    assertMatch(grantMail, /"args": \[\n\s+"198\.51\.100\.9",\n\s+"tcp\/22",/);
    assertMatch(refusalMail, /"event": "username"/);
    assertMatch(refusalMail, /"args": \[\n\s+"mallory",\n\s+"alice"\n/);

    await until("two posts", () => Promise.resolve(posts.length >= 2 ? true : undefined));
    const classes = posts.map((p) => p.class);
    assert(classes.includes("grant") && classes.includes("refusal"), JSON.stringify(posts));
    const grant = posts.find((p) => p.class === "grant")!;
    assertEquals([grant.event, grant.src, grant.stanza], ["grant", "127.0.0.1", 1]);
    assertEquals(leaks(mails.join("\n") + JSON.stringify(posts)), [], "no key in any alert");

    // The receiver goes away: each grant is still made at once, alerts wait, fail and drop.
    await receiver.shutdown();
    for (let i = 20; i < 28; i++) await send(rig.port, `198.51.100.${i}`, "alice");
    await d.waitFor(/Added access rule to FWKNOP_INPUT for 198\.51\.100\.27/, 10_000);
    for (let i = 20; i < 28; i++) assertMatch(d.output, new RegExp(`for 198\\.51\\.100\\.${i} `));
    await d.waitFor(/Alerts \(webhook\): dropped \d+ alerts?, oldest first/, 10_000);
    await d.waitFor(
      /Cannot post the alert to https:\/\/localhost:\d+: .*\(gave up after 2 attempts\)/,
      15_000,
    );
    await d.stop();
    const summary = /Alerts \(webhook\): (\d+) sent, (\d+) failed, (\d+) dropped/.exec(d.output);
    assert(summary !== null, d.output);
    const [sent, failed, dropped] = summary.slice(1).map(Number);
    assert(sent! >= 2 && failed! >= 1 && dropped! >= 1, summary[0]);
    // The relay stayed up: mail only dropped what arrived faster than a session (queue of 3).
    const mailSummary = /Alerts \(mail\): (\d+) sent, 0 failed, \d+ dropped/.exec(d.output);
    assert(mailSummary !== null, d.output);
    // exim delivers to the maildir in a process of its own after it accepted a
    // mail, so the last ones may land after the daemon has gone: wait for them.
    const accepted = Number(mailSummary[1]);
    const delivered = await until(`${accepted} mails in the inbox`, async () => {
      const n = (await deliveredMail(mail.inbox)).length;
      return n >= accepted ? n : undefined;
    });
    assertEquals(delivered, accepted, "every mail the relay accepted is delivered, once");
    report(`alerts: ${summary[0]}; mails delivered ${delivered}`);

    // Without the test CA in its trust store the daemon refuses the relay's certificate:
    // STARTTLS fails and nothing is sent in the clear.
    const untrusting = startUdp(rig);
    try {
      await untrusting.waitFor(/Starting fwknopd main event loop/, 30_000);
      await send(rig.port, "198.51.100.60", "alice");
      await untrusting.waitFor(
        /Cannot send the alert mail through 10\.213\.\d+\.2:25: .*(certificate|UnknownIssuer|issuer).*\(gave up after 2 attempts\)/i,
        15_000,
      );
    } finally {
      await untrusting.stop();
    }
    assertEquals((await deliveredMail(mail.inbox)).length, delivered, "no mail without TLS");
  } catch (e) {
    report(`daemon output:\n${d.output}`);
    throw e;
  } finally {
    await d.stop().catch(() => {});
    await receiver.shutdown().catch(() => {});
    await mail.stop();
    await Deno.remove(ca.dir, { recursive: true }).catch(() => {});
    await Deno.remove(rig.dir, { recursive: true }).catch(() => {});
  }
});

Deno.test({
  name:
    "alerts: a replay and a fault reach the webhook; SIGHUP keeps the running alerts and says a change needs a restart",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const posts: Record<string, unknown>[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    posts.push(await r.json());
    return new Response(null, { status: 204 });
  });
  const conf = (url: string) => (dir: string) =>
    `FIREWALL_EXE ${dir}/iptables;\nENABLE_IPV6 N;\nALERT_WEBHOOK_URL ${url};\n` +
    "ALERT_WEBHOOK_EVENTS replay,fault;\nALERT_RETRIES 0;\n";
  const first = `http://127.0.0.1:${receiver.addr.port}/hook`;
  const rig = await udpRig(
    "fkts-alerts-",
    conf(first),
    `SOURCE ANY\nKEY ${KEY}\nHMAC_KEY ${HMAC}\n`,
  );
  await fakeIptables(rig.dir);
  const d = startUdp(rig);
  try {
    await d.waitFor(/Starting fwknopd main event loop/, 30_000);
    const wire = encodeSpa({
      message: "198.51.100.40,tcp/22",
      messageType: MessageType.ACCESS,
      username: "alice",
      key: enc.encode(KEY),
      hmacKey: enc.encode(HMAC),
      timestamp: Math.floor(Date.now() / 1000),
    }).wire;
    const s = createSocket("udp4");
    for (let i = 0; i < 2; i++) await new Promise((r) => s.send(wire, rig.port, "127.0.0.1", r));
    s.close();
    await d.waitFor(/Replay detected from source IP: 127\.0\.0\.1/);
    const replay = await until(
      "the replay alert",
      () => Promise.resolve(posts.find((p) => p.class === "replay")),
    );
    assertEquals([replay.event, replay.src, replay.level], ["replay", "127.0.0.1", "warning"]);
    assert(!posts.some((p) => p.class === "grant"), "grants are not asked for");

    // A new URL in the file: the daemon warns (a fault, posted to the running webhook) and keeps it.
    const conf2 = await Deno.readTextFile(`${rig.dir}/fwknopd.conf`);
    await Deno.writeTextFile(
      `${rig.dir}/fwknopd.conf`,
      conf2.replace(first, "https://hooks.example/elsewhere"),
    );
    const hup = await serverMain(["-R", ...rig.files], { out: () => {}, err: () => {} });
    assertEquals(hup, 0, "-R failed");
    await d.waitFor(/ALERT_WEBHOOK_URL changed: it takes effect when fwknopd-ts is restarted/);
    const fault = await until(
      "the fault alert",
      () =>
        Promise.resolve(
          posts.find((p) =>
            p.class === "fault" && /ALERT_WEBHOOK_URL changed/.test(p.msg as string)
          ),
        ),
    );
    assertEquals(fault.level, "warning");
    await d.stop();
    // Every post counted as sent arrived (the reload's own warnings are faults too).
    assertMatch(
      d.output,
      new RegExp(`Alerts \\(webhook\\): ${posts.length} sent, 0 failed, 0 dropped`),
    );
  } catch (e) {
    report(`daemon output:\n${d.output}`);
    throw e;
  } finally {
    await d.stop().catch(() => {});
    await receiver.shutdown();
    await Deno.remove(rig.dir, { recursive: true }).catch(() => {});
  }
});
