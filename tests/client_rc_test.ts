/**
 * `~/.fwknoprc` interoperability: a stanza written by the stock client is
 * used by ours and the other way round; errors name file, line and variable.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { runOurs, runStock } from "./client_run.ts";
import { parseFieldDump } from "./vectors.ts";
import { b64Decode } from "../lib/spa/base64.ts";
import { decodeSpa } from "../lib/spa/packet.ts";

const SAVE = [
  "-A",
  "tcp/22",
  "-a",
  "1.2.3.4",
  "-D",
  "10.1.1.1",
  "-n",
  "myserver",
  "--key-gen",
  "--save-rc-stanza",
  "--use-hmac",
  "--no-save-args",
];
const USE = ["-n", "myserver", "-T", "-v", "--no-save-args"];

function keysFrom(rc: string) {
  const key = b64Decode(/^KEY_BASE64\s+(\S+)/m.exec(rc)![1]!)!;
  const hmacKey = b64Decode(/^HMAC_KEY_BASE64\s+(\S+)/m.exec(rc)![1]!)!;
  return { key, hmacKey };
}

function checkPacket(out: string, rc: string): void {
  const dump = parseFieldDump(out);
  assertEquals(dump["Message String"], "1.2.3.4,tcp/22");
  assertEquals(dump["HMAC Type"], "3 (SHA256)");
  const r = decodeSpa(dump["Final SPA Data"]!, keysFrom(rc));
  assert(r.ok, "packet built from the stanza decodes with the stanza's keys");
}

Deno.test("rc: stanzas written by the stock client work in ours, and ours in the stock client", async () => {
  if (!(await haveCommand("fwknop", ["-V", "--no-rc-file"]))) {
    skip("fwknop is not installed (Debian package fwknop-client)");
    return;
  }
  for (const [writer, reader] of [[runStock, runOurs], [runOurs, runStock]] as const) {
    const home = await Deno.makeTempDir({ prefix: "fwknop-rc-" });
    try {
      const w = await writer(SAVE, home);
      assertEquals(w.code, 0, w.err);
      assertMatch(w.out, /\[\+\] Wrote Rijndael and HMAC keys to rc file: .*\.fwknoprc/);
      const rc = await Deno.readTextFile(`${home}/.fwknoprc`);
      assertMatch(
        rc,
        /^\[myserver\]\nALLOW_IP {20}1\.2\.3\.4\nACCESS {22}tcp\/22\nSPA_SERVER {18}10\.1\.1\.1\n/m,
      );
      assertEquals((await Deno.stat(`${home}/.fwknoprc`)).mode! & 0o777, 0o600);
      const r = await reader(USE, home);
      assertEquals(r.code, 0, r.err);
      checkPacket(r.out, rc);
      const list = await reader(["--stanza-list"], home);
      assertMatch(
        list.out,
        /The following stanzas are configured in .*\.fwknoprc :\n - myserver\n/,
      );
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  }
});

Deno.test("rc: a bad line names the file, the line and the variable", async () => {
  const home = await Deno.makeTempDir({ prefix: "fwknop-rc-" });
  try {
    await Deno.writeTextFile(
      `${home}/.fwknoprc`,
      "[default]\nDIGEST_TYPE sha256\n\n[s]\nSPA_SERVER 127.0.0.1\nFW_TIMEOUT -5\n",
      { mode: 0o600 },
    );
    const r = await runOurs([
      "-n",
      "s",
      "-A",
      "tcp/22",
      "-a",
      "1.2.3.4",
      "--key-rijndael",
      "k",
      "-T",
    ], home);
    assertEquals(r.code, 2);
    assertEquals(
      r.err,
      `Parameter error in ${home}/.fwknoprc, line 6: var=FW_TIMEOUT, val=-5: Invalid value '-5' for --fw-timeout: expected a whole number from 0 to 65536\n`,
    );
    // What the stock client's strtol reads as 0 is not an error there: a warning here, and ignored.
    await Deno.writeTextFile(
      `${home}/.fwknoprc`,
      "[s]\nSPA_SERVER 127.0.0.1\nFW_TIMEOUT lots\n",
      { mode: 0o600 },
    );
    const z = await runOurs([
      "-n",
      "s",
      "-A",
      "tcp/22",
      "-a",
      "1.2.3.4",
      "--key-rijndael",
      "k",
      "-T",
    ], home);
    assertEquals(z.code, 0, z.err);
    assertMatch(z.err, /line 3: FW_TIMEOUT 'lots' reads as 0; ignored/);
    await Deno.writeTextFile(`${home}/.fwknoprc`, "[s]\nNO_SUCH_VAR 1\n", { mode: 0o644 });
    const u = await runOurs([
      "-n",
      "s",
      "-T",
      "-A",
      "tcp/22",
      "-a",
      "1.2.3.4",
      "--key-rijndael",
      "k",
    ], home);
    assertMatch(u.err, /permissions should only be user read\/write \(0600, -rw-------\)\n/);
    assertMatch(u.err, /line 2: var=NO_SUCH_VAR, val=1: unknown variable\n$/);
    const missing = await runOurs(["-n", "nope", "-T"], home);
    assertMatch(missing.err, /\nNamed configuration stanza: \[nope\] was not found\.\n$/);
    assertEquals(missing.code, 2);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("rc: a new rc file is created from the template with mode 0600", async () => {
  const home = await Deno.makeTempDir({ prefix: "fwknop-rc-" });
  try {
    const r = await runOurs([
      "-A",
      "tcp/22",
      "-a",
      "1.2.3.4",
      "--key-rijndael",
      "k",
      "-T",
      "--no-save-args",
    ], home);
    assertEquals(r.code, 0);
    assertMatch(r.out, /^\[\*\] Creating initial rc file: .*\/\.fwknoprc\.\n/);
    assertEquals((await Deno.stat(`${home}/.fwknoprc`)).mode! & 0o777, 0o600);
    assertMatch(await Deno.readTextFile(`${home}/.fwknoprc`), /^\[default\]$/m);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
