/**
 * Our client and the stock fwknop 2.6.10 client print the same `-T -v`
 * output for the same arguments, apart from the values that are random or
 * time-dependent (random value, timestamp, ciphertext, digests, source ports).
 */
import { assertEquals } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { runOurs, runStock } from "./client_run.ts";

const KEYS = ["--key-rijndael", "fwknoptest", "--key-hmac", "fwknophmactest"];
const CASES: string[][] = [
  ["-A", "tcp/22", "-a", "1.2.3.4", "-D", "127.0.0.1", ...KEYS],
  [
    "-A",
    "tcp/22,udp/53",
    "-s",
    "-D",
    "127.0.0.1",
    "-f",
    "60",
    "-m",
    "sha512",
    "--hmac-digest-type",
    "sha384",
    ...KEYS,
  ],
  ["-A", "tcp/2222", "-N", "192.168.1.55:22", "-a", "10.0.0.5", "-D", "127.0.0.1", ...KEYS],
  [
    "-A",
    "tcp/22",
    "--nat-local",
    "--nat-port",
    "55000",
    "-a",
    "10.0.0.5",
    "-D",
    "192.168.10.1",
    "-f",
    "45",
    ...KEYS,
  ],
  [
    "-C",
    "touch /tmp/x",
    "-a",
    "10.0.0.5",
    "-D",
    "127.0.0.1",
    "-M",
    "legacy",
    "--key-rijndael",
    "fwknoptest",
  ],
  ["-A", "udp/53", "-a", "1.2.3.4", "-D", "127.0.0.1", "-M", "CTR", "-m", "sha3_256", ...KEYS],
  ["-A", "tcp/22", "-a", "1.2.3.4", "-D", "spa.example.com", "-P", "http", ...KEYS],
  ["-A", "tcp/22", "-a", "1.2.3.4", "-D", "127.0.0.1", "-P", "tcpraw", "-Q", "5.6.7.8", ...KEYS],
  ["-A", "tcp/22", "-a", "1.2.3.4", "-D", "127.0.0.1", "-P", "icmp", "-U", "someone", ...KEYS],
  [
    "-A",
    "tcp/22",
    "-a",
    "1.2.3.4",
    "-D",
    "127.0.0.1",
    "--time-offset-minus",
    "1h",
    "--key-base64-rijndael",
    "wLWZGy2x5PpJ3gGbq2aPHbyVdPtYTs3Y1ERzZoQc2PI=",
  ],
];

const MASKED =
  /^(\s*(Random Value|Timestamp|Encoded Data|SPA Data Digest|HMAC|Final SPA Data|source port): ).*$/;

function normalise(text: string): string[] {
  return text.split("\n").map((l) => {
    if (/^GET \//.test(l)) return "GET <masked>";
    const m = MASKED.exec(l);
    if (m === null) return l;
    if (m[2] === "source port" && l.includes("<OS assigned>")) return l;
    if (m[2] === "HMAC" && l.includes("<NULL>")) return l;
    return `${m[1]}<masked>`;
  });
}

Deno.test("client: -T -v output matches the stock fwknop client field for field", async (t) => {
  if (!(await haveCommand("fwknop", ["-V", "--no-rc-file"]))) {
    skip("fwknop is not installed (Debian package fwknop-client)");
    return;
  }
  const home = await Deno.makeTempDir({ prefix: "fwknop-ts-home-" });
  try {
    for (const c of CASES) {
      await t.step(c.join(" "), async () => {
        const args = [...c, "-T", "-v", "--no-save-args", "--no-rc-file"];
        const stock = await runStock(args, home);
        const ours = await runOurs(args, home);
        assertEquals(ours.code, stock.code);
        assertEquals(normalise(ours.out), normalise(stock.out));
      });
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
