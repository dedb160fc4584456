/**
 * Drop-in parity of configuration rules: each case (an access.conf and
 * fwknopd.conf pair) goes through the stock `fwknopd --exit-parse-config`
 * and through ours; both must accept, or both refuse. The cases cover the
 * differences found against fwknopd 2.6.10 and the edges around them.
 */
import { assertEquals } from "./assert.ts";
import { haveCommand, report, skip } from "./env.ts";
import { ourServerAccepts, stockServerAccepts } from "./parity.ts";

interface Case {
  name: string;
  /** access.conf; `\\xNN` escapes become raw bytes (for keys that are not UTF-8). */
  access: string;
  conf?: string;
}

/** The file's bytes: `\\xNN` written as that byte. */
function bytesOf(text: string): Uint8Array {
  const parts = text.split(/\\x([0-9a-f]{2})/);
  const out: number[] = [];
  parts.forEach((p, i) => {
    if (i % 2 === 1) out.push(parseInt(p, 16));
    else for (const b of new TextEncoder().encode(p)) out.push(b);
  });
  return new Uint8Array(out);
}

const K = "SOURCE ANY\nKEY abcdefgh\n";
const long = (n: number) => "a".repeat(n);

const CASES: Case[] = [
  { name: "minimal", access: K },
  { name: "hmac key", access: `${K}HMAC_KEY hmacsecret\n` },
  { name: "hmac key of 128 bytes", access: `${K}HMAC_KEY ${long(128)}\n` },
  { name: "hmac key of 200 bytes (fwknopd loads it)", access: `${K}HMAC_KEY ${long(200)}\n` },
  { name: "FORCE_NAT without NAT enabled", access: `${K}FORCE_NAT 192.168.1.2 22\n` },
  {
    name: "FORCE_NAT with forwarding",
    access: `${K}FORCE_NAT 192.168.1.2 22\n`,
    conf: "ENABLE_IPT_FORWARDING Y;\n",
  },
  {
    name: "FORCE_NAT with local NAT",
    access: `${K}FORCE_NAT 192.168.1.2 22\n`,
    conf: "ENABLE_IPT_LOCAL_NAT Y;\n",
  },
  { name: "FORCE_SNAT without NAT enabled", access: `${K}FORCE_SNAT 192.168.1.2\n` },
  { name: "FORCE_MASQUERADE alone", access: `${K}FORCE_MASQUERADE Y\n` },
  { name: "FORWARD_ALL alone", access: `${K}FORWARD_ALL Y\n` },
  { name: "DISABLE_DNAT alone", access: `${K}DISABLE_DNAT Y\n` },
  { name: "ACCESS_EXPIRE full", access: `${K}ACCESS_EXPIRE 12/31/2030\n` },
  { name: "ACCESS_EXPIRE short year", access: `${K}ACCESS_EXPIRE 3/10/01\n` },
  { name: "ACCESS_EXPIRE month 13", access: `${K}ACCESS_EXPIRE 13/10/2001\n` },
  { name: "ACCESS_EXPIRE day 32", access: `${K}ACCESS_EXPIRE 3/32/2001\n` },
  { name: "ACCESS_EXPIRE garbage", access: `${K}ACCESS_EXPIRE garbage\n` },
  { name: "ACCESS_EXPIRE_EPOCH", access: `${K}ACCESS_EXPIRE_EPOCH 1900000000\n` },
  {
    name: "GPG_HOME_DIR missing",
    access: `${K}GPG_HOME_DIR /nonexistent/fwknop-gpg\nGPG_DECRYPT_PW x\nGPG_REMOTE_ID ABCD1234\n`,
  },
  { name: "FW_ACCESS_TIMEOUT 0", access: `${K}FW_ACCESS_TIMEOUT 0\n` },
  { name: "FW_ACCESS_TIMEOUT large", access: `${K}FW_ACCESS_TIMEOUT 86400\n` },
  { name: "OPEN_PORTS list", access: `${K}OPEN_PORTS tcp/22, udp/53\n` },
  { name: "OPEN_PORTS bad proto", access: `${K}OPEN_PORTS sctp/22\n` },
  { name: "OPEN_PORTS port 70000", access: `${K}OPEN_PORTS tcp/70000\n` },
  { name: "SOURCE network", access: "SOURCE 192.168.0.0/16\nKEY abcdefgh\n" },
  { name: "SOURCE bad address", access: "SOURCE 300.1.1.1\nKEY abcdefgh\n" },
  { name: "no SOURCE", access: "KEY abcdefgh\n" },
  { name: "no key at all", access: "SOURCE ANY\n" },
  { name: "KEY_BASE64", access: "SOURCE ANY\nKEY_BASE64 YWJjZGVmZ2g=\n" },
  { name: "KEY_BASE64 bad", access: "SOURCE ANY\nKEY_BASE64 !!!!\n" },
  { name: "KEY of 33 bytes", access: `SOURCE ANY\nKEY ${long(33)}\n` },
  { name: "ENCRYPTION_MODE CTR", access: `${K}ENCRYPTION_MODE CTR\n` },
  { name: "ENCRYPTION_MODE bogus", access: `${K}ENCRYPTION_MODE bogus\n` },
  { name: "HMAC_DIGEST_TYPE sha512", access: `${K}HMAC_KEY hm\nHMAC_DIGEST_TYPE sha512\n` },
  { name: "HMAC_DIGEST_TYPE bogus", access: `${K}HMAC_KEY hm\nHMAC_DIGEST_TYPE bogus\n` },
  { name: "REQUIRE_USERNAME", access: `${K}REQUIRE_USERNAME alice\n` },
  {
    name: "CMD_CYCLE without timer",
    access: `${K}CMD_CYCLE_OPEN /bin/true\nCMD_CYCLE_CLOSE /bin/true\n`,
  },
  {
    name: "CMD_CYCLE with timer",
    access: `${K}CMD_CYCLE_OPEN /bin/true\nCMD_CYCLE_CLOSE /bin/true\nCMD_CYCLE_TIMER 10\n`,
  },
  { name: "MAX_SPA_PACKET_AGE 0", access: K, conf: "MAX_SPA_PACKET_AGE 0;\n" },
  { name: "MAX_SPA_PACKET_AGE 300", access: K, conf: "MAX_SPA_PACKET_AGE 300;\n" },
  { name: "UDPSERV_PORT 70000", access: K, conf: "UDPSERV_PORT 70000;\n" },
  { name: "a 2 MB KEY_BASE64 line", access: `SOURCE ANY\nKEY_BASE64 ${"eHh4".repeat(500_000)}\n` },
  { name: "a line of 1023 characters", access: `SOURCE ANY\nKEY abcdefgh\n#${"c".repeat(1022)}\n` },
  {
    name: "a line of 1100 characters",
    access: `SOURCE ANY\nKEY abcdefgh\nREQUIRE_USERNAME ${"u".repeat(1083)}\n`,
  },
  {
    name: "IPT_INPUT_ACCESS with three fields",
    access: K,
    conf: "IPT_INPUT_ACCESS ACCEPT, filter, INPUT;\n",
  },
  { name: "a KEY that is not UTF-8", access: "SOURCE ANY\nKEY \\xff\\xfeabc\n" },
];

Deno.test("config parity: fwknopd --exit-parse-config and ours accept and refuse alike", async () => {
  if (!(await haveCommand("fwknopd", ["-V"]))) {
    return skip("fwknopd is not installed (Debian fwknop-server)");
  }
  const differ: string[] = [];
  for (const c of CASES) {
    const dir = await Deno.makeTempDir({ prefix: "fwknop-parity-" });
    try {
      await Deno.writeTextFile(
        `${dir}/fwknopd.conf`,
        `PCAP_INTF lo;\nFWKNOP_RUN_DIR ${dir}/run;\n${c.conf ?? ""}`,
        { mode: 0o600 },
      );
      await Deno.writeFile(`${dir}/access.conf`, bytesOf(c.access), { mode: 0o600 });
      const [s, o] = [await stockServerAccepts(dir), await ourServerAccepts(dir)];
      if (s !== o) {
        differ.push(
          `${c.name}: fwknopd ${s ? "accepts" : "refuses"}, ours ${o ? "accepts" : "refuses"}`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  assertEquals(differ, []);
  report(`config parity: ${CASES.length} cases decided alike`);
});
