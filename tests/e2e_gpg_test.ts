/**
 * GnuPG mode end to end in network namespaces with real iptables: the stock
 * client in GPG mode opens fwknopd-ts, and our client in GPG mode opens the
 * stock fwknopd. Signed by the allowed key: open. Signed by another key,
 * unsigned when a signature is required, or a wrong GPG_FINGERPRINT_ID:
 * closed. Keys: fwknop's test keys (DSA signer, ElGamal recipient) and an RSA
 * key made with gpg for the "other signer".
 */
import { haveCommand, skip } from "./env.ts";
import { checkPortCase } from "./port_case.ts";
import { fwknopTestHomes, importPublic, rsaHome } from "./gpg_env.ts";
import { type Background, link, Netns, netnsUnavailable } from "./netns.ts";
import { defaultDrop, startStockFwknopd } from "./stock_server.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const LISTEN = new URL("./tools/listen.ts", import.meta.url).pathname;

function access(sHome: string): string {
  return [
    `SOURCE ANY\nGPG_HOME_DIR ${sHome}\nGPG_DECRYPT_ID 361BBAD4\nGPG_ALLOW_NO_PW Y\nGPG_REMOTE_ID 6A3FAD56\nHMAC_KEY fwknophmactest\nFW_ACCESS_TIMEOUT 3\n`,
    `SOURCE ANY\nGPG_HOME_DIR ${sHome}\nGPG_DECRYPT_ID 361BBAD4\nGPG_ALLOW_NO_PW Y\nGPG_FINGERPRINT_ID 0000000000000000000000000000000000000000\nHMAC_KEY fingerprint-hmac\n`,
  ].join("\n");
}

interface Case {
  name: string;
  args: string[];
  port: number;
  open: boolean;
}

function cases(cHome: string, otherHome: string): Case[] {
  const base = (
    port: number,
  ) => [
    "-A",
    `tcp/${port}`,
    "-a",
    "192.0.2.1",
    "-D",
    "192.0.2.2",
    "--gpg-recipient-key",
    "361BBAD4",
    "--gpg-home-dir",
    cHome,
  ];
  const signed = ["--gpg-signer-key", "6A3FAD56", "--gpg-no-signing-pw"];
  return [
    {
      name: "signed by the allowed key: open",
      args: [...base(4001), ...signed, "--key-hmac", "fwknophmactest"],
      port: 4001,
      open: true,
    },
    {
      name: "unsigned while a signature is required: closed",
      args: [...base(4002), "--key-hmac", "fwknophmactest"],
      port: 4002,
      open: false,
    },
    {
      name: "wrong GPG_FINGERPRINT_ID: closed",
      args: [...base(4003), ...signed, "--key-hmac", "fingerprint-hmac"],
      port: 4003,
      open: false,
    },
    {
      name: "signed by another key: closed",
      args: [
        "-A",
        "tcp/4004",
        "-a",
        "192.0.2.1",
        "-D",
        "192.0.2.2",
        "--gpg-recipient-key",
        "361BBAD4",
        "--gpg-home-dir",
        otherHome,
        "--gpg-signer-key",
        "other",
        "--gpg-no-signing-pw",
        "--key-hmac",
        "fwknophmactest",
      ],
      port: 4004,
      open: false,
    },
  ];
}

Deno.test({
  name: "e2e: GnuPG mode both ways (stock client -> fwknopd-ts, fwknop-ts -> stock fwknopd)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const why = (await netnsUnavailable()) ??
      ((await haveCommand("gpg", ["--version"]))
        ? undefined
        : "gpg is not installed (Debian package gnupg)") ??
      ((await haveCommand("fwknopd", ["-V"]))
        ? undefined
        : "fwknopd is not installed (Debian package fwknop-server)");
    if (why !== undefined) return skip(why);
    const keys = await fwknopTestHomes();
    const sHome = `${keys}/server-gpg-no-pw`;
    const cHome = `${keys}/client-gpg-no-pw`;
    const other = await rsaHome("other", "");
    await importPublic(sHome, other.home);
    const dir = await Deno.makeTempDir({ prefix: "fwknop-gpg-e2e-" });
    const client = await Netns.create("gcli");
    const server = await Netns.create("gsrv");
    let listener: Background | undefined;
    try {
      const { bIf } = await link(client, "192.0.2.1/24", server, "192.0.2.2/24");
      await defaultDrop(server);
      listener = server.spawn([
        "deno",
        "run",
        "--allow-net",
        LISTEN,
        "192.0.2.2",
        "4001",
        "4002",
        "4003",
        "4004",
      ]);
      await listener.waitFor(/listening/);
      const all = cases(cHome, other.home);
      const runCases = async (name: string, clientCmd: string[], logs: () => string) => {
        for (const c of all) {
          await t.step(`${name}: ${c.name}`, () =>
            checkPortCase(
              client,
              "192.0.2.2",
              { ports: [c.port], open: c.open, ...(c.open ? { expires: 3 } : {}) },
              () => client.sh([...clientCmd, ...c.args, "--no-save-args", "--no-rc-file"]),
              logs,
            ));
        }
      };

      // The stock client against fwknopd-ts.
      await Deno.writeTextFile(
        `${dir}/fwknopd.conf`,
        `PCAP_INTF ${bIf};\nFWKNOP_RUN_DIR ${dir};\n`,
        { mode: 0o600 },
      );
      await Deno.writeTextFile(`${dir}/access.conf`, access(sHome), { mode: 0o600 });
      const ours = server.spawn([
        "deno",
        "run",
        "-A",
        SERVER,
        "-f",
        "-c",
        `${dir}/fwknopd.conf`,
        "-a",
        `${dir}/access.conf`,
      ]);
      await ours.waitFor(/main event loop/, 30_000);
      await runCases("stock client -> fwknopd-ts", ["fwknop"], () => ours.output);
      await ours.stop();

      // Our client against the stock fwknopd.
      const stock = await startStockFwknopd(server, bIf, "", access(sHome));
      await runCases(
        "fwknop-ts -> stock fwknopd",
        ["deno", "run", "-A", CLIENT],
        () => stock.daemon.output,
      );
      await stock.stop();
    } finally {
      await listener?.stop();
      await client.delete();
      await server.delete();
      for (const d of [dir, keys, other.home]) await Deno.remove(d, { recursive: true });
    }
  },
});
