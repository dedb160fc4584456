import fc from "npm:fast-check@3.23.2";
import { assertEquals } from "../tests/assert.ts";
import { kernelJournalMessage, MAX_JOURNAL_LINE } from "./journal_record.ts";

const MSG =
  "knock IN=veth1 OUT= MAC= SRC=203.0.113.99 DST=198.51.100.1 LEN=60 PROTO=TCP SPT=40000 DPT=7001 RES=0x00 SYN URGP=0 ";
const rec = (o: Record<string, unknown>) =>
  JSON.stringify({ _TRANSPORT: "kernel", SYSLOG_FACILITY: "0", PRIORITY: "4", MESSAGE: MSG, ...o });

Deno.test("journal records: the kernel's records only, checked field by field", () => {
  assertEquals(kernelJournalMessage(rec({})), MSG);
  // MESSAGE as bytes (journalctl's form for values that are not plain text).
  const bytes = [...new TextEncoder().encode(MSG)];
  assertEquals(kernelJournalMessage(rec({ MESSAGE: bytes })), MSG);
  for (
    const bad of [
      rec({ _TRANSPORT: "syslog" }), // logger
      rec({ _TRANSPORT: "journal", SYSLOG_IDENTIFIER: "kernel" }), // logger --journald -t kernel
      rec({ _TRANSPORT: "stdout" }),
      rec({ _TRANSPORT: ["kernel", "kernel"] }),
      rec({ _TRANSPORT: undefined }),
      rec({ SYSLOG_FACILITY: "1" }), // written to /dev/kmsg from user space
      rec({ SYSLOG_FACILITY: 0 }),
      rec({ SYSLOG_FACILITY: undefined }),
      rec({ MESSAGE: [MSG, MSG] }), // a field given twice
      rec({ MESSAGE: [...bytes, 10] }), // a control byte
      rec({ MESSAGE: [...bytes.slice(0, 5), 256] }),
      rec({ MESSAGE: [...bytes.slice(0, 5), 1.5] }),
      rec({ MESSAGE: [...bytes.slice(0, 5), "65"] }),
      rec({ MESSAGE: null }), // journalctl's form for a value too large to show
      rec({ MESSAGE: 7 }),
      rec({ MESSAGE: { toString: MSG } }),
      rec({ MESSAGE: "x".repeat(5000) }),
      rec({ MESSAGE: undefined }),
      `{"__proto__": {"_TRANSPORT": "kernel", "SYSLOG_FACILITY": "0"}, "MESSAGE": ${
        JSON.stringify(MSG)
      }}`,
      `[${rec({})}]`,
      rec({}).slice(0, -1),
      `${rec({})}x`,
      "null",
      "",
      `${rec({ PAD: "x".repeat(MAX_JOURNAL_LINE) })}`,
    ]
  ) assertEquals(kernelJournalMessage(bad), undefined, bad.slice(0, 200));
});

Deno.test("journal records: random JSON and text never throw", () => {
  fc.assert(
    fc.property(fc.oneof(fc.json(), fc.string({ maxLength: 200 })), (s) => {
      kernelJournalMessage(s);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
      const m = kernelJournalMessage(rec(o));
      if (m !== undefined) assertEquals(typeof m, "string");
    }),
    { numRuns: 2000 },
  );
});
