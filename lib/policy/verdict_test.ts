/** The wording table: every code has a level and text; `describe()` tags lines as fwknopd does. */
import { assert, assertEquals } from "../../tests/assert.ts";
import {
  describe,
  EVENT_TEXT,
  type EventCode,
  finalReason,
  isRefusal,
  type PolicyEvent,
  type Verdict,
} from "./verdict.ts";

// The Record type makes the table total over EventCode; this checks each entry at run time.
const CODES = Object.keys(EVENT_TEXT) as EventCode[];
const LEVELS = new Set(["debug", "info", "warning", "error"]);
const ARGS = ["a0", "a1", "a2", "a3", "a4"];
const ev = (code: EventCode, stanza?: number): PolicyEvent =>
  stanza === undefined
    ? { code, src: "192.0.2.1", args: ARGS }
    : { code, src: "192.0.2.1", stanza, args: ARGS };

Deno.test("verdict: every code has a level and a non-empty text without undefined", () => {
  assert(CODES.length >= 39, `only ${CODES.length} codes`);
  for (const c of CODES) {
    const t = EVENT_TEXT[c];
    assert(LEVELS.has(t.level), `${c}: level ${t.level}`);
    const text = t.text(ARGS);
    assert(text.length > 0, `${c}: empty text`);
    assert(!text.includes("undefined"), `${c}: ${text}`);
  }
});

Deno.test("verdict: the cheap checks log at debug only", () => {
  const cheap: EventCode[] = [
    "bad-length",
    "client-prefix",
    "http-user-agent",
    "http-no-data",
    "http-too-short",
    "not-rijndael",
    "not-base64",
  ];
  for (const c of cheap) assertEquals(EVENT_TEXT[c].level, "debug", c);
  for (const c of CODES.filter((c) => !cheap.includes(c))) {
    assert(EVENT_TEXT[c].level !== "debug", `${c} is debug`);
  }
});

Deno.test("verdict: fwknopd's wording where log watchers match it", () => {
  assertEquals(
    EVENT_TEXT["no-source-match"].text(["192.0.2.1"]),
    "No access data found for source IP: 192.0.2.1",
  );
  assertEquals(
    EVENT_TEXT["username"].text(["bob", "alice"]),
    "Username in SPA data (bob) does not match required username: alice",
  );
  assertEquals(
    EVENT_TEXT["too-old"].text(["-121"]),
    "SPA data time difference is too great (-121 seconds).",
  );
  assertEquals(EVENT_TEXT["replay"].level, "warning");
  assertEquals(EVENT_TEXT["decode-failed"].level, "warning");
});

Deno.test("describe: debug lines without a stanza carry the source", () => {
  const d = describe({ code: "bad-length", src: "192.0.2.1", args: ["3"] });
  assertEquals(d.level, "debug");
  assertEquals(d.msg, "[192.0.2.1] payload of 3 bytes is not SPA data");
  assertEquals(d.event.code, "bad-length");
});

Deno.test("describe: info lines without a stanza are the bare text", () => {
  const d = describe({ code: "no-source-match", src: "192.0.2.1", args: ["192.0.2.1"] });
  assertEquals(d, {
    level: "info",
    msg: "No access data found for source IP: 192.0.2.1",
    event: { code: "no-source-match", src: "192.0.2.1", args: ["192.0.2.1"] },
  });
});

Deno.test("describe: stanza events carry source and stanza; some only the stanza", () => {
  assertEquals(
    describe(ev("ports-denied", 2)).msg,
    "[192.0.2.1] (stanza #2) One or more requested protocol/ports was denied per access.conf.",
  );
  for (const c of ["source-match", "nat-disabled", "local-nat-disabled"] as const) {
    const m = describe(ev(c, 3)).msg;
    assert(m.startsWith("(stanza #3) "), m);
  }
});

Deno.test("isRefusal and finalReason: progress codes are not refusals", () => {
  for (
    const c of ["source-match", "gpg-signed", "knock-accepted", "knock-accepted-command"] as const
  ) {
    assertEquals(isRefusal(c), false, c);
  }
  assertEquals(isRefusal("replay"), true);
  const v: Verdict = {
    events: [ev("username", 1), ev("source-match", 2), ev("gpg-signed", 2)],
    testAccepted: [],
  };
  assertEquals(finalReason(v), "username");
  assertEquals(finalReason({ events: [ev("source-match", 1)], testAccepted: [] }), undefined);
  assertEquals(finalReason({ events: [], testAccepted: [] }), undefined);
});
