import { assertEquals } from "../../tests/assert.ts";
import { DaemonLogger } from "./log.ts";

function logger(verbose = 0) {
  const writes: string[] = [];
  const log = new DaemonLogger({
    verbose,
    stderr: true,
    syslog: false,
    write: (t) => writes.push(t),
  });
  return { log, writes };
}

Deno.test("logger: lines go out at once, debug only with -v", () => {
  const { log, writes } = logger();
  log.log("info", "one");
  log.log("debug", "hidden");
  log.logAll([{ level: "warning", msg: "two" }, { level: "debug", msg: "hidden" }]);
  assertEquals(writes, ["one\n", "two\n"]);
  assertEquals(log.wants("debug"), false);
  const v = logger(1);
  v.log.log("debug", "shown");
  assertEquals(v.writes, ["shown\n"]);
  assertEquals(v.log.wants("debug"), true);
});

Deno.test("logger: hold() gathers a batch into one write, flush() sends it", () => {
  const { log, writes } = logger();
  log.hold();
  log.log("info", "a");
  log.logAll([{ level: "info", msg: "b" }, { level: "info", msg: "c" }]);
  assertEquals(writes, []);
  log.flush();
  assertEquals(writes, ["a\nb\nc\n"]);
  log.flush(); // nothing held: nothing written
  log.log("info", "d"); // no longer holding
  assertEquals(writes, ["a\nb\nc\n", "d\n"]);
});

Deno.test("logger: held text is written early once it grows large", () => {
  const { log, writes } = logger();
  log.hold();
  const line = "x".repeat(1000);
  for (let i = 0; i < 100; i++) log.log("info", line);
  assertEquals(writes.length >= 1, true);
  log.flush();
  assertEquals(writes.join(""), `${line}\n`.repeat(100));
});

Deno.test("logger: for the systemd journal each line carries its syslog priority", () => {
  const writes: string[] = [];
  const log = new DaemonLogger({
    verbose: 1,
    stderr: true,
    syslog: false,
    journal: true,
    write: (t) => writes.push(t),
  });
  log.log("error", "e");
  log.logAll([{ level: "warning", msg: "w" }, { level: "info", msg: "i" }, {
    level: "debug",
    msg: "d",
  }]);
  assertEquals(writes, ["<3>e\n", "<4>w\n<6>i\n<7>d\n"]);
});

Deno.test("LOG_FORMAT json: one object per line with the event's fields; text stays fwknopd's", async () => {
  const { DaemonLogger } = await import("./log.ts");
  const { describe } = await import("../policy/verdict.ts");
  let out = "";
  const log = new DaemonLogger({
    verbose: 0,
    stderr: true,
    syslog: false,
    write: (t) => out += t,
    json: true,
  });
  log.logAll([describe({ code: "username", src: "192.0.2.1", stanza: 2, args: ["bob", "alice"] })]);
  log.log("info", "Starting fwknopd main event loop.");
  const [a, b] = out.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals([a.level, a.event, a.src, a.stanza, a.args], ["info", "username", "192.0.2.1", 2, [
    "bob",
    "alice",
  ]]);
  assertEquals(
    a.msg,
    "[192.0.2.1] (stanza #2) Username in SPA data (bob) does not match required username: alice",
  );
  assertEquals([b.msg, b.event], ["Starting fwknopd main event loop.", undefined]);
  assertEquals(typeof a.time, "string");
});
