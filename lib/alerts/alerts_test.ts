import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { parseAddr } from "../net/addr.ts";
import { describe } from "../policy/verdict.ts";
import type { Level } from "../log/event.ts";
import { Alerts } from "./alerts.ts";
import { classify } from "./classify.ts";
import type { AlertOptions } from "./options.ts";
import type { SmtpSession } from "./smtp.ts";

function rig(opts: Partial<AlertOptions> = {}) {
  const mails: { s: SmtpSession; msg: string }[] = [];
  const posts: unknown[] = [];
  const logged: [Level, string][] = [];
  const o: AlertOptions = {
    mail: {
      host: "127.0.0.1",
      port: 25,
      startTls: false,
      from: "fwknopd@gw.test",
      to: ["root@localhost"],
      helo: "gw.test",
      classes: new Set(["grant", "replay", "fault"]),
    },
    webhook: {
      url: new URL("https://hooks.example/x"),
      classes: new Set(["grant", "refusal", "replay", "fault"]),
    },
    timeoutMs: 1000,
    retries: 0,
    queueSize: 10,
    ...opts,
  };
  const alerts: Alerts = new Alerts(o, {
    host: "gw.test",
    log: {
      log: (level, msg) => {
        logged.push([level, msg]);
        alerts.note(level, msg); // as the daemon's tap would
      },
    },
    sendMail: (s, msg) => {
      mails.push({ s, msg });
      return Promise.resolve();
    },
    fetch: (_u, init) => {
      posts.push(JSON.parse(init.body as string));
      return Promise.resolve(new Response("ok"));
    },
  });
  return { alerts, mails, posts, logged };
}

Deno.test("classes: grants, replays, refusals above debug, and faults", () => {
  assertEquals(classify("info", { code: "grant", src: "a" }), "grant");
  assertEquals(classify("info", { code: "command", src: "a" }), "grant");
  assertEquals(classify("warning", { code: "replay", src: "a" }), "replay");
  assertEquals(classify("info", { code: "no-source-match", src: "a" }), "refusal");
  assertEquals(classify("warning", { code: "decode-failed", src: "a" }), "refusal");
  assertEquals(classify("debug", { code: "not-base64", src: "a" }), undefined);
  assertEquals(classify("info", { code: "source-match", src: "a" }), undefined);
  assertEquals(classify("info", { code: "knock-accepted", src: "a" }), undefined);
  assertEquals(classify("error"), "fault");
  assertEquals(classify("warning"), "fault");
  assertEquals(classify("info"), undefined);
});

Deno.test("dispatch: each method gets the classes it wants; the records carry no key", async () => {
  const { alerts, mails, posts } = rig();
  alerts.granted({
    src: parseAddr("198.51.100.7")!,
    ports: [{ proto: "tcp", port: 22 }],
    expiresAt: 1796000000,
    origin: { stanza: 2, pktSrc: parseAddr("203.0.113.5")!, via: "spa" },
  });
  const refusal = describe({
    code: "username",
    src: "203.0.113.9",
    stanza: 1,
    args: ["mallory", "alice"],
  });
  alerts.note(refusal.level, refusal.msg, refusal.event);
  alerts.note("error", "Cannot record the SPA digest, so the packet is refused: disk full");
  alerts.note("info", "Starting fwknopd main event loop.");
  await alerts.close();
  assertEquals(posts.map((p) => (p as { class: string }).class), ["grant", "refusal", "fault"]);
  assertEquals(mails.length, 2, "mail skips refusals by default");
  const grant = posts[0] as Record<string, unknown>;
  assertEquals(grant.event, "grant");
  assertEquals([grant.src, grant.stanza, grant.host], ["203.0.113.5", 2, "gw.test"]);
  assertEquals(grant.args, ["198.51.100.7", "tcp/22", "1796000000", "spa"]);
  assertMatch(grant.msg as string, /Access granted to 198\.51\.100\.7 for tcp\/22 until 2026-/);
  assertEquals(Object.keys(grant).sort(), [
    "args",
    "class",
    "event",
    "host",
    "level",
    "msg",
    "src",
    "stanza",
    "time",
  ]);
  assertMatch(mails[0]!.msg, /^Subject: \[fwknopd\] gw\.test: grant from 203\.0\.113\.5$/m);
});

Deno.test("dispatch: the dispatcher's own warnings are logged but never alerted (no feedback)", async () => {
  const { alerts, posts, logged } = rig({
    mail: undefined,
    retries: 0,
    queueSize: 1,
  });
  // A full queue makes the channel report a drop through the log; that line must not be queued.
  for (let i = 0; i < 5; i++) alerts.note("error", `fault ${i}`);
  await alerts.close();
  assert(logged.some(([l, m]) => l === "warning" && /dropped/.test(m)), JSON.stringify(logged));
  assert(posts.every((p) => /^fault \d$/.test((p as { msg: string }).msg)), JSON.stringify(posts));
  assertMatch(logged.at(-1)![1], /^Alerts \(webhook\): \d sent, 0 failed, \d dropped$/);
});

Deno.test("dispatch: a network grant (GRANT_SOURCE_PREFIX_V4) names its network; a command names no command text", async () => {
  const { alerts, posts } = rig({ mail: undefined });
  alerts.granted({
    src: parseAddr("198.51.100.0")!,
    srcPrefix: 24,
    ports: [{ proto: "tcp", port: 22 }],
    expiresAt: 1796000000,
    origin: { stanza: 1, pktSrc: parseAddr("198.51.100.77")!, via: "spa" },
  });
  alerts.granted({ src: "203.0.113.5", stanza: 3, kind: "command" });
  await alerts.close();
  const [net, cmd] = posts as Record<string, unknown>[];
  assertEquals((net!.args as string[])[0], "198.51.100.0/24");
  assertMatch(net!.msg as string, /Access granted to 198\.51\.100\.0\/24 for tcp\/22/);
  assertEquals([cmd!.event, cmd!.src, cmd!.stanza, cmd!.args], [
    "command",
    "203.0.113.5",
    3,
    undefined,
  ]);
  assertEquals(cmd!.msg, "[203.0.113.5] (stanza #3) SPA command run for an accepted request");
});
