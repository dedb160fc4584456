/**
 * The client's command-line behaviour: help, version, errors with their exit
 * codes (2 usage, 1 runtime), key generation, packet files, the args file and
 * nothing sent on error.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runOurs } from "./client_run.ts";
import { assertSnapshot } from "./snapshot.ts";
import { b64Decode } from "../lib/spa/base64.ts";
import { decodeSpa } from "../lib/spa/packet.ts";

const KEYS = ["--key-rijndael", "fwknoptest", "--key-hmac", "fwknophmactest"];
const home = await Deno.makeTempDir({ prefix: "fwknop-ts-cli-" });

Deno.test("client: --help and -V", async () => {
  const h = await runOurs(["--help"], home);
  assertEquals(h.code, 0);
  await assertSnapshot("client_help", h.out);
  const v = await runOurs(["-V"], home);
  assertMatch(
    v.out,
    /^fwknop-ts client \S+ \(compatible with fwknop 2\.6\.10\), FKO protocol version 3\.0\.0\n$/,
  );
});

Deno.test("client: usage errors print one line and exit 2", async () => {
  const cases: [string[], string][] = [
    [["--bogus"], "bogus_option"],
    [["-A", "tcp/22", "-a", "1.2.3.4", ...KEYS, "--no-rc-file"], "missing_destination"],
    [["-A", "tcp/22", "-D", "127.0.0.1", ...KEYS, "--no-rc-file"], "missing_allow_ip"],
    [["-a", "1.2.3.4", "-D", "127.0.0.1", ...KEYS, "--no-rc-file"], "missing_access"],
    [["-A", "icmp/8", "-a", "1.2.3.4", "-D", "127.0.0.1", ...KEYS, "--no-rc-file"], "bad_access"],
    [
      ["-A", "tcp/22", "-a", "1.2.3.4", "-D", "127.0.0.1", "-f", "86400", ...KEYS, "--no-rc-file"],
      "fw_timeout_day",
    ],
    [[
      "-A",
      "tcp/22",
      "-a",
      "1.2.3.4",
      "-D",
      "127.0.0.1",
      "--key-rijndael",
      "x".repeat(33),
      "--no-rc-file",
    ], "long_key"],
    [[
      "-A",
      "tcp/22",
      "-a",
      "1.2.3.4",
      "-D",
      "127.0.0.1",
      "--key-base64-rijndael",
      "!!!",
      "--no-rc-file",
    ], "bad_base64_key"],
    [
      [
        "-A",
        "tcp/22",
        "-a",
        "1.2.3.4",
        "-D",
        "127.0.0.1",
        "-Q",
        "5.6.7.8",
        ...KEYS,
        "--no-rc-file",
      ],
      "spoof_needs_raw",
    ],
    [
      ["-A", "tcp/22", "-a", "1.2.3.4", "-D", "127.0.0.1", "-M", "legacy", ...KEYS, "--no-rc-file"],
      "legacy_hmac",
    ],
    [
      ["-A", "tcp/22", "-a", "1.2.3.4", "-D", "127.0.0.1", "-p", "70000", ...KEYS, "--no-rc-file"],
      "bad_port",
    ],
    [[
      "-A",
      Array.from({ length: 19 }, (_, i) => `tcp/${1000 + i}`).join(","),
      "-a",
      "1.2.3.4",
      "-D",
      "127.0.0.1",
      ...KEYS,
      "--no-rc-file",
    ], "too_long"],
    [[
      "-A",
      "tcp/22",
      "-a",
      "1.2.3.4",
      "-D",
      "127.0.0.1",
      "--key-rijndael",
      "same",
      "--key-hmac",
      "same",
      "--no-rc-file",
    ], "same_keys"],
  ];
  for (const [args, name] of cases) {
    const r = await runOurs([...args, "--no-save-args"], home);
    assertEquals(r.code, 2, `${name}: ${r.err}`);
    assertEquals(r.out, "", `${name} printed to stdout`);
    assertEquals(r.err.trimEnd().split("\n").length, 1, `${name}: more than one line: ${r.err}`);
    await assertSnapshot(`client_error_${name}`, r.err);
  }
});

Deno.test("client: an unresolvable host is a runtime error (exit 1)", async () => {
  const r = await runOurs([
    "-A",
    "tcp/22",
    "-a",
    "1.2.3.4",
    "-D",
    "no-such-host.invalid",
    ...KEYS,
    "--no-rc-file",
    "--no-save-args",
  ], home);
  assertEquals(r.code, 1);
  assertMatch(r.err, /^Cannot resolve 'no-such-host\.invalid' to an IPv4 address: /);
});

Deno.test("client: -k prints keys, -K writes them, and they work", async () => {
  const k = await runOurs(["-k", "--no-rc-file"], home);
  assertEquals(k.code, 0);
  assertMatch(k.out, /^KEY_BASE64: \S{44}\nHMAC_KEY_BASE64: \S{88}\n$/);
  const file = `${home}/keys.txt`;
  const f = await runOurs([
    "-K",
    file,
    "--key-len",
    "16",
    "--hmac-digest-type",
    "sha3_512",
    "--no-rc-file",
  ], home);
  assertEquals(f.out, `[+] Wrote Rijndael and HMAC keys to: ${file}\n`);
  const text = await Deno.readTextFile(file);
  const key = b64Decode(/^KEY_BASE64: (\S+)/m.exec(text)![1]!)!;
  const hmac = b64Decode(/^HMAC_KEY_BASE64: (\S+)/m.exec(text)![1]!)!;
  assertEquals([key.length, hmac.length], [16, 64]);
  assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
});

Deno.test("client: -B saves the packet, -b appends, and it decodes", async () => {
  const file = `${home}/packet.txt`;
  const args = [
    "-A",
    "tcp/22",
    "-a",
    "1.2.3.4",
    "-D",
    "127.0.0.1",
    ...KEYS,
    "-T",
    "--no-rc-file",
    "--no-save-args",
    "-B",
    file,
  ];
  assertEquals((await runOurs(args, home)).code, 0);
  assertEquals((await runOurs([...args, "-b"], home)).code, 0);
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  assertEquals(lines.length, 2);
  const enc = new TextEncoder();
  for (const l of lines) {
    assert(
      decodeSpa(l, { key: enc.encode("fwknoptest"), hmacKey: enc.encode("fwknophmactest") }).ok,
    );
  }
});

Deno.test("client: the args file is written, shown with --show-last and replayed with -l", async () => {
  const args = ["-A", "tcp/22", "-a", "1.2.3.4", "-D", "127.0.0.1", ...KEYS, "-T", "--no-rc-file"];
  assertEquals((await runOurs(args, home)).code, 0);
  assertEquals(await Deno.readTextFile(`${home}/.fwknop.run`), `fwknop ${args.join(" ")} \n`);
  const show = await runOurs(["--show-last"], home);
  assertEquals(show.out, `Last fwknop client command line: fwknop ${args.join(" ")} \n`);
  const again = await runOurs(["-l"], home);
  assertEquals(again.code, 0);
  assertMatch(again.out, /Message String: 1\.2\.3\.4,tcp\/22/);
});
