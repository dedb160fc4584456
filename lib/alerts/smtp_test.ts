import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { buildMail } from "./mail.ts";
import type { MailOptions } from "./options.ts";
import { alertRecord } from "./record.ts";
import { dataBlock, MAX_REPLY_LINE, sendMail, type SmtpError, type SmtpSession } from "./smtp.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A scripted relay on loopback for one session: `answer` gets each line the
 * client sends (while not in DATA) and returns the reply text to write, or
 * `undefined` to stay silent. Everything received is kept.
 */
function fakeRelay(
  greeting: string | undefined,
  answer: (line: string) => string | undefined,
): { port: number; received: Promise<string> } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const received = (async () => {
    const c = await l.accept();
    l.close();
    let all = "";
    let buf = "";
    let inData = false;
    const write = (s: string | undefined) =>
      s !== undefined && c.write(enc.encode(s)).catch(() => 0);
    await write(greeting);
    const chunk = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await c.read(chunk);
        if (n === null) break;
        const text = dec.decode(chunk.subarray(0, n));
        all += text;
        buf += text;
        for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (inData) {
            if (line === ".") {
              inData = false;
              await write("250 2.0.0 queued\r\n");
            }
            continue;
          }
          if (line === "DATA") inData = true;
          await write(answer(line));
          if (line === "QUIT") return all;
        }
      }
    } catch {
      // the client hung up
    }
    try {
      c.close();
    } catch { /* closed */ }
    return all;
  })();
  return { port, received };
}

/** A relay that accepts everything. */
const friendly = (line: string): string | undefined => {
  if (line.startsWith("EHLO")) return "250-relay.test\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n";
  if (line === "DATA") return "354 go ahead\r\n";
  if (line === "QUIT") return "221 bye\r\n";
  return "250 ok\r\n";
};

function session(port: number, extra: Partial<SmtpSession> = {}): SmtpSession {
  return {
    host: "127.0.0.1",
    port,
    startTls: false,
    helo: "gw.test",
    from: "fwknopd@gw.test",
    to: ["root@localhost", "ops@example.org"],
    timeoutMs: 3000,
    ...extra,
  };
}

const MAIL: MailOptions = {
  host: "127.0.0.1",
  port: 25,
  startTls: false,
  from: "fwknopd@gw.test",
  to: ["root@localhost"],
  helo: "gw.test",
  classes: new Set(["grant"]),
};

Deno.test("SMTP: one message goes through the relay's steps in order", async () => {
  const relay = fakeRelay("220 relay.test ESMTP\r\n", friendly);
  await sendMail(session(relay.port), "Subject: hi\r\n\r\n.leading dot\r\nbody");
  const got = await relay.received;
  const commands = got.split("\r\n").filter((l) => /^[A-Z]{4}/.test(l));
  assertEquals(commands.slice(0, 4), [
    "EHLO gw.test",
    "MAIL FROM:<fwknopd@gw.test>",
    "RCPT TO:<root@localhost>",
    "RCPT TO:<ops@example.org>",
  ]);
  assert(got.includes("DATA\r\nSubject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\nQUIT\r\n"), got);
});

Deno.test("SMTP: event text cannot add a header, end the message or send a command", async () => {
  const attack = "x\r\n.\r\nMAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.org>\r\n" +
    "DATA\r\nBcc: victim@example.org\n.\nQUIT";
  const rec = alertRecord("refusal", "info", attack, {
    code: "username",
    src: "198.51.100.7\r\nBcc: victim@example.org",
    stanza: 1,
    args: [attack, "alice"],
  }, "gw.test");
  const relay = fakeRelay("220 relay.test ESMTP\r\n", friendly);
  await sendMail(session(relay.port), buildMail(rec, MAIL, "1"));
  const got = await relay.received;
  const lines = got.split("\r\n");
  assertEquals(lines.filter((l) => l.startsWith("MAIL FROM")).length, 1);
  assertEquals(lines.filter((l) => l.startsWith("RCPT TO")).length, 2);
  assertEquals(lines.filter((l) => l === ".").length, 1, "one end of data");
  const head = got.slice(got.indexOf("DATA\r\n") + 6, got.indexOf("\r\n\r\n", got.indexOf("DATA")));
  assert(!/^Bcc:/im.test(head), head);
  assertMatch(head, /^Subject: \[fwknopd\] gw\.test: refusal from 198\.51\.100\.7\?\?Bcc: /m);
  // Inside the body, no line is a bare dot or starts a command the relay could read.
  for (const l of lines.slice(lines.indexOf("DATA") + 1, lines.lastIndexOf("."))) {
    assert(!l.startsWith(".") || l.startsWith(".."), l);
  }
});

Deno.test("SMTP: dot-stuffing and line endings of the data block", () => {
  assertEquals(dataBlock(".a\nb\r.c\r\n.."), "..a\r\nb\r\n..c\r\n...\r\n.\r\n");
});

async function failure(
  greeting: string | undefined,
  answer: (l: string) => string | undefined,
  timeoutMs = 3000,
) {
  const relay = fakeRelay(greeting, answer);
  try {
    await sendMail(session(relay.port, { timeoutMs }), "Subject: x\r\n\r\nbody");
  } catch (e) {
    const got = await relay.received;
    return { e: e as SmtpError, got };
  }
  throw new Error("the session should have failed");
}

Deno.test("SMTP: a hostile relay's replies end the session with a bounded error", async () => {
  const long = await failure(`220 ${"A".repeat(MAX_REPLY_LINE * 4)}`, friendly);
  assertMatch(
    long.e.message,
    /^Cannot send the alert mail through 127\.0\.0\.1:\d+: a reply line is longer than 1024 bytes$/,
  );
  const endless = await failure(
    "220 hi\r\n",
    (l) => (l.startsWith("EHLO") ? "250-x\r\n".repeat(500) : "250 ok\r\n"),
  );
  assertMatch(endless.e.message, /a reply has more than 64 lines/);
  const garbage = await failure("HELLO \x1b[2J there\r\n", friendly);
  assertMatch(garbage.e.message, /malformed reply: "HELLO \\x1b\[2J there"/);
  const silent = await failure(undefined, friendly, 300);
  assertMatch(silent.e.message, /no answer within 300 ms/);
  assertEquals(silent.e.permanent, false);
});

Deno.test("SMTP: 5xx is permanent, 4xx may pass; nothing is sent after a refusal", async () => {
  const refused = await failure(
    "220 hi\r\n",
    (l) => (l.startsWith("MAIL") ? "550 5.7.1 relaying denied\r\n" : friendly(l)),
  );
  assertMatch(refused.e.message, /answered MAIL FROM with 550 5\.7\.1 relaying denied/);
  assertEquals(refused.e.permanent, true);
  assert(!refused.got.includes("RCPT"), refused.got);
  const busy = await failure("421 4.3.2 try later\r\n", friendly);
  assertEquals(busy.e.permanent, false);
  const nobody = await failure(
    "220 hi\r\n",
    (l) => (l.startsWith("RCPT") ? "550 no such user\r\n" : friendly(l)),
  );
  assertMatch(nobody.e.message, /RCPT TO <ops@example\.org> with 550/);
  assert(!nobody.got.includes("DATA"), nobody.got);
});

Deno.test("SMTP: ALERT_SMTP_STARTTLS Y sends nothing in the clear to a relay without STARTTLS", async () => {
  const relay = fakeRelay("220 hi\r\n", friendly);
  let err: Error | undefined;
  try {
    await sendMail(session(relay.port, { startTls: true }), "Subject: secret\r\n\r\nbody");
  } catch (e) {
    err = e as Error;
  }
  assertMatch(err!.message, /does not offer STARTTLS, which ALERT_SMTP_STARTTLS requires/);
  const got = await relay.received;
  assert(!got.includes("MAIL FROM") && !got.includes("secret"), got);
});

Deno.test("SMTP: an unreachable relay fails within the time limit", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  let err: SmtpError | undefined;
  try {
    await sendMail(session(port, { timeoutMs: 2000 }), "x");
  } catch (e) {
    err = e as SmtpError;
  }
  assertMatch(
    err!.message,
    new RegExp(`^Cannot send the alert mail through 127\\.0\\.0\\.1:${port}: `),
  );
  assertEquals(err!.permanent, false);
});
