/**
 * `-v -v` packet dumps: the SPA payload and, once authenticated, the
 * decrypted fields in hex, printed by the daemon's logger; no key appears
 * in the output in text, hex (spaced, or across dump lines) or base64, for
 * Rijndael and HMAC keys given as text and as base64, and for a GnuPG
 * passphrase. Below `-v -v` nothing is dumped.
 */
import { assert, assertEquals } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { rsaHome } from "./gpg_env.ts";
import { getopt } from "../lib/cli/getopt.ts";
import { parseAddr } from "../lib/net/addr.ts";
import { MemoryReplayCache } from "../lib/replay/memory.ts";
import { Engine } from "../lib/server/engine.ts";
import { serverFlags } from "../lib/server/flags.ts";
import { attachGpgKeys, load } from "../lib/server/load.ts";
import { DaemonLogger } from "../lib/server/log.ts";
import { SERVER_OPTIONS } from "../lib/server/options.ts";
import { packetDumper } from "../lib/server/packet_dump.ts";
import { b64EncodePadded as encodeBase64 } from "../lib/spa/base64.ts";
import { MessageType } from "../lib/spa/message.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import type { CapturedPacket } from "../lib/capture/packet.ts";

const enc = new TextEncoder();
const KEY = "rijndael-Secret-K3y";
const HMAC = "hmac-Secret-K3y-for-dumps";
const KEY_B64 = crypto.getRandomValues(new Uint8Array(32));
const HMAC_B64 = crypto.getRandomValues(new Uint8Array(64));
const GPG_PW = "gpg-Pass-Phr4se-dump";
const MESSAGE = "198.51.100.7,tcp/22";

function toHex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** The hex columns of every dump line, joined: a secret split over two lines shows up here. */
function dumpHex(out: string): string {
  return out.split("\n").map((l) => /^\s+[0-9a-f]{4} {2}((?:[0-9a-f]{2} ?)+) \|/.exec(l)?.[1] ?? "")
    .join("").replace(/ /g, "");
}

/** Every form a secret could take in the output: text, hex, base64 (padded, bare, URL-safe). */
function forms(secret: Uint8Array): string[] {
  const b64 = btoa(String.fromCharCode(...secret));
  return [
    new TextDecoder("latin1").decode(secret),
    b64,
    b64.replace(/=+$/, ""),
    b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
  ];
}

function assertNoSecret(out: string, name: string, secret: Uint8Array): void {
  for (const f of forms(secret)) assert(!out.includes(f), `${name} appears in the output as ${f}`);
  const hex = toHex(secret);
  assert(!out.toLowerCase().includes(hex), `${name} appears in the output in hex`);
  assert(!dumpHex(out).includes(hex), `${name} appears in the dump's hex columns`);
}

function packet(payload: string, src = "192.0.2.1"): CapturedPacket {
  return {
    payload,
    src: parseAddr(src)!,
    dst: parseAddr("192.0.2.2")!,
    proto: 17,
    sport: 40000,
    dport: 62201,
  } as CapturedPacket;
}

async function daemon(access: string, verbosity: number) {
  const dir = await Deno.makeTempDir({ prefix: "fwknopd-dump-" });
  await Deno.writeTextFile(`${dir}/fwknopd.conf`, `FWKNOP_RUN_DIR ${dir};\n`, { mode: 0o600 });
  await Deno.writeTextFile(`${dir}/access.conf`, access, { mode: 0o600 });
  const args = ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];
  const loaded = load(serverFlags(getopt(args, SERVER_OPTIONS, "fwknopd-ts").options));
  await attachGpgKeys(loaded);
  let out = "";
  const log = new DaemonLogger({
    verbose: verbosity,
    stderr: true,
    syslog: false,
    write: (t) => out += t,
  });
  const dump = packetDumper(log.verbose, (lines) => log.logAll(lines));
  const engine = new Engine(loaded.settings, {
    replay: new MemoryReplayCache(),
    grants: undefined,
    log,
    run: () => Promise.resolve({ code: 0, stdout: "", stderr: "" }),
    nowMs: Date.now,
    ...(dump === undefined ? {} : { dump }),
  });
  return { engine, output: () => out, dir };
}

const RIJNDAEL_ACCESS = [
  `SOURCE 192.0.2.1\nKEY ${KEY}\nHMAC_KEY ${HMAC}\n`,
  `SOURCE 192.0.2.3\nKEY_BASE64 ${encodeBase64(KEY_B64)}\nHMAC_KEY_BASE64 ${
    encodeBase64(HMAC_B64)
  }\n`,
].join("\n");

function rijndaelPackets(): CapturedPacket[] {
  const spa = (key: Uint8Array, hmacKey: Uint8Array) =>
    encodeSpa({
      message: MESSAGE,
      messageType: MessageType.ACCESS,
      username: "alice",
      key,
      hmacKey,
    })
      .wire;
  return [
    packet(spa(enc.encode(KEY), enc.encode(HMAC))),
    packet(spa(KEY_B64, HMAC_B64), "192.0.2.3"),
    // The right HMAC key with a wrong encryption key: the payload is dumped, no fields.
    packet(spa(enc.encode("another-key-entirely"), enc.encode(HMAC))),
  ];
}

Deno.test("-v -v dumps Rijndael payloads and decrypted fields in hex, and no key", async () => {
  const d = await daemon(RIJNDAEL_ACCESS, 2);
  try {
    for (const p of rijndaelPackets()) await d.engine.handle(p);
    const out = d.output();
    assertEquals(out.match(/SPA payload \(\d+ bytes\):/g)?.length, 3, out);
    assertEquals(out.match(/Decrypted SPA fields:/g)?.length, 2, out);
    // The message, in hex beside its text.
    assert(
      out.includes("0000  31 39 38 2e 35 31 2e 31 30 30 2e 37 2c 74 63 70  |198.51.100.7,tcp|"),
    );
    assert(out.includes("  username (5 bytes):\n    0000  61 6c 69 63 65  |alice|"), out);
    // The scanner finds what is there: the message, split over two dump lines.
    assert(dumpHex(out).includes(toHex(enc.encode(MESSAGE))), "the hex scanner is blind");
    for (
      const [name, s] of [
        ["KEY", enc.encode(KEY)],
        ["HMAC_KEY", enc.encode(HMAC)],
        ["KEY_BASE64", KEY_B64],
        ["HMAC_KEY_BASE64", HMAC_B64],
      ] as const
    ) {
      assertNoSecret(out, name, s);
    }
  } finally {
    await Deno.remove(d.dir, { recursive: true });
  }
});

Deno.test("below -v -v nothing is dumped", async () => {
  for (const v of [0, 1]) {
    const d = await daemon(RIJNDAEL_ACCESS, v);
    try {
      for (const p of rijndaelPackets()) await d.engine.handle(p);
      assert(!/SPA payload|Decrypted SPA fields|0000 {2}/.test(d.output()), d.output());
    } finally {
      await Deno.remove(d.dir, { recursive: true });
    }
  }
});

Deno.test("-v -v dumps a GnuPG packet's fields, and not the passphrase", async () => {
  if (!(await haveCommand("gpg", ["--version"]))) return skip("gpg is not installed (gnupg)");
  const server = await rsaHome("dump-server", GPG_PW);
  try {
    const access =
      `SOURCE ANY\nGPG_HOME_DIR ${server.home}\nGPG_DECRYPT_ID ${server.fpr}\nGPG_DECRYPT_PW ${GPG_PW}\nGPG_REQUIRE_SIG N\nHMAC_KEY ${HMAC}\n`;
    const d = await daemon(access, 2);
    try {
      const { publicKeys } = await import("../lib/gpg_keys.ts");
      const recipientKey = (await publicKeys({ home: server.home, exe: "gpg" }, server.fpr))[0];
      const { encodeGpgSpa } = await import("../lib/spa/gpg.ts");
      const spa = await encodeGpgSpa({
        message: MESSAGE,
        messageType: MessageType.ACCESS,
        username: "alice",
        recipientKey,
        hmacKey: enc.encode(HMAC),
      });
      await d.engine.handle(packet(spa.wire));
      const out = d.output();
      assert(out.includes("(stanza #1) Decrypted SPA fields:"), out);
      assert(out.includes("|198.51.100.7,tcp|"), out);
      assertNoSecret(out, "GPG_DECRYPT_PW", enc.encode(GPG_PW));
      assertNoSecret(out, "HMAC_KEY", enc.encode(HMAC));
    } finally {
      await Deno.remove(d.dir, { recursive: true });
    }
  } finally {
    await Deno.remove(server.home, { recursive: true });
  }
});
