/**
 * `-D`: the stanza variables fwknop-ts adds (CMD_CYCLE_PER_PORT,
 * GRANT_SOURCE_PREFIX_V4/V6), ALERT_FROM's effective value, and the Deno
 * permissions line after the dump.
 */
import { assertEquals, assertMatch } from "../../tests/assert.ts";
import { getopt } from "../cli/getopt.ts";
import { type ServerFlags, serverFlags } from "./flags.ts";
import { load, type Loaded } from "./load.ts";
import { SERVER_OPTIONS } from "./options.ts";
import { dumpConfig } from "./dump.ts";
import { foregroundFlags } from "./permissions.ts";

const KEYS = "KEY_BASE64 aGVsbG8gd29ybGQgMTIzNA==\n" +
  "HMAC_KEY_BASE64 b3RoZXIga2V5IGZvciBobWFjIDEyMzQ1Njc4OTA=\n";

/** Loads a configuration written into a temp dir, then removes the dir. */
async function loaded(
  conf: string,
  access: string,
): Promise<{ l: Loaded; f: ServerFlags; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "fkts-dump-" });
  await Deno.writeTextFile(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir}/run;\n${conf}`, {
    mode: 0o600,
  });
  await Deno.writeTextFile(`${dir}/access.conf`, access, { mode: 0o600 });
  const args = ["-D", "-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
  const f = serverFlags(getopt(args, SERVER_OPTIONS, "fwknopd-ts").options);
  return { l: load(f), f, dir };
}

/** The value of one stanza row (`NAME:  value`). */
const row = (out: string, name: string) => new RegExp(`^ *${name}:  (.*)$`, "m").exec(out)?.[1];

/** The value of one config row (`NN. NAME = 'value'`). */
const conf = (out: string, name: string) =>
  new RegExp(`^ *\\d+\\. ${name} +=  '(.*)'$`, "m").exec(out)?.[1];

Deno.test("dump: CMD_CYCLE_PER_PORT and GRANT_SOURCE_PREFIX_V4/V6, set and unset", async () => {
  const { l, dir } = await loaded(
    "",
    `SOURCE ANY\n${KEYS}CMD_CYCLE_OPEN /bin/true\nCMD_CYCLE_CLOSE NONE\n` +
      `CMD_CYCLE_TIMER 5\nCMD_CYCLE_PER_PORT Y\nGRANT_SOURCE_PREFIX_V4 24\n` +
      `GRANT_SOURCE_PREFIX_V6 64\n\nSOURCE 192.0.2.0/24\n${KEYS}`,
  );
  try {
    const [first, second] = dumpConfig(l.config, l.settings.stanzas).split(/^SOURCE \(2\)/m);
    assertEquals(
      ["CMD_CYCLE_PER_PORT", "GRANT_SOURCE_PREFIX_V4", "GRANT_SOURCE_PREFIX_V6"].map((n) =>
        row(first!, n)
      ),
      ["Yes", "24", "64"],
    );
    assertEquals(
      ["CMD_CYCLE_PER_PORT", "GRANT_SOURCE_PREFIX_V4", "GRANT_SOURCE_PREFIX_V6"].map((n) =>
        row(second!, n)
      ),
      ["No", "<not set>", "<not set>"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dump: ALERT_FROM shows what mail alerts would use", async () => {
  const set = await loaded(
    "EMAIL_ADDRESSES ops@example.org;\nALERT_FROM spa@example.org;\n",
    `SOURCE ANY\n${KEYS}`,
  );
  const mail = await loaded("EMAIL_ADDRESSES ops@example.org;\n", `SOURCE ANY\n${KEYS}`);
  const none = await loaded("", `SOURCE ANY\n${KEYS}`);
  try {
    const out = (x: { l: Loaded }) => dumpConfig(x.l.config, x.l.settings.stanzas);
    assertEquals(conf(out(set), "ALERT_FROM"), "spa@example.org");
    // The default, with this machine's name as the mail's EHLO uses it.
    assertMatch(conf(out(mail), "ALERT_FROM")!, /^fwknopd@[A-Za-z0-9.-]+$/);
    assertEquals(
      conf(out(none), "ALERT_FROM"),
      "fwknopd@<this host's name> (used only with EMAIL_ADDRESSES)",
    );
  } finally {
    for (const x of [set, mail, none]) await Deno.remove(x.dir, { recursive: true });
  }
});

Deno.test("dump: the last line names the Deno flags of a -f run, none without any", async () => {
  const { l, f, dir } = await loaded(
    "ENABLE_UDP_SERVER Y;\nFIREWALL_TYPE iptables;\n",
    `SOURCE ANY\n${KEYS}`,
  );
  try {
    const flags = foregroundFlags(f, l);
    assertEquals(flags, [
      `--allow-read=${dir}/fwknopd.conf,${dir}/access.conf,${dir}/run`,
      `--allow-write=${dir}/run`,
      "--allow-run=/usr/sbin/iptables,/usr/sbin/ip6tables,/usr/sbin/iptables-restore," +
      "/usr/sbin/ip6tables-restore,/usr/bin/stdbuf",
      "--allow-net=0.0.0.0:62201,[::]:62201",
      "--allow-ffi",
    ]);
    const lines = dumpConfig(l.config, l.settings.stanzas, flags).trimEnd().split("\n");
    assertEquals(
      lines.at(-1),
      `Deno permissions (for fwknopd-ts -f with this configuration): ${flags.join(" ")}`,
    );
    assertEquals(
      dumpConfig(l.config, l.settings.stanzas).includes("Deno permissions"),
      false,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
