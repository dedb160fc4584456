/**
 * fwknopd-ts's command line: help, version, -D, --exit-parse-config, key
 * generation, -S, and errors (usage: exit 2; configuration: exit 1 naming
 * file, line and variable). Also a UDP-server round trip in -t mode.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { assertSnapshot } from "./snapshot.ts";
import { main } from "../server.ts";
import { main as clientMain } from "../client.ts";

const dir = await Deno.makeTempDir({ prefix: "fwknopd-ts-cli-" });
await Deno.writeTextFile(
  `${dir}/fwknopd.conf`,
  `FWKNOP_RUN_DIR ${dir};\nENABLE_UDP_SERVER Y;\nUDPSERV_PORT 62299;\n`,
  { mode: 0o600 },
);
await Deno.writeTextFile(
  `${dir}/access.conf`,
  "SOURCE ANY\nKEY cli-key\nHMAC_KEY cli-hmac\nOPEN_PORTS tcp/22\n",
  { mode: 0o600 },
);
const BASE = ["-c", `${dir}/fwknopd.conf`, "-a", `${dir}/access.conf`];

async function run(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => out += t, err: (t) => err += t });
  return { code, out, err };
}

Deno.test("server: --help, -V", async () => {
  const h = await run(["--help"]);
  assertEquals(h.code, 0);
  await assertSnapshot("server_help", h.out);
  assertMatch(
    (await run(["-V"])).out,
    /^fwknopd-ts server \S+ \(compatible with fwknopd 2\.6\.10\), firewall: iptables\n$/,
  );
});

Deno.test("server: -D dumps the config with keys hidden; --exit-parse-config says OK", async () => {
  const d = await run([...BASE, "-D"]);
  assertEquals(d.code, 0, d.err);
  assertMatch(
    d.out,
    /^Current fwknopd config settings:\n {2}0\. CONFIG_FILE {18}= {2}'.*fwknopd\.conf'\n/,
  );
  assertMatch(d.out, /Current fwknopd access settings:\nSOURCE \(1\): {2}ANY\n=+\n/);
  assertMatch(d.out, / {24}KEY: {2}<see the access\.conf file>\n/);
  assert(!d.out.includes("cli-key") && !d.out.includes("cli-hmac"), "-D must not print keys");
  const p = await run([...BASE, "--exit-parse-config"]);
  assertEquals([p.code, p.out], [0, "configuration OK\n"]);
});

Deno.test("server: configuration and usage errors", async () => {
  await Deno.writeTextFile(`${dir}/bad.conf`, "SOURCE ANY\nKEY k\nMAX_FW_TIMEOUT -5\n", {
    mode: 0o600,
  });
  const bad = await run([
    "-c",
    `${dir}/fwknopd.conf`,
    "-a",
    `${dir}/bad.conf`,
    "--exit-parse-config",
  ]);
  assertEquals(bad.code, 1);
  assertEquals(
    bad.err,
    `Configuration error: ${dir}/bad.conf:3: MAX_FW_TIMEOUT: "-5" is not a whole number from 0 to 8388608\n`,
  );
  const missing = await run(["-c", `${dir}/nope.conf`, "-D"]);
  assertEquals(missing.code, 1);
  assertMatch(missing.err, /^Configuration error: .*nope\.conf: cannot read /);
  const usage = await run(["--no-such-option"]);
  assertEquals([usage.code, usage.err], [
    2,
    "fwknopd-ts: unrecognized option '--no-such-option' (see --help)\n",
  ]);
  const both = await run([...BASE, "-D", "-S"]);
  assertEquals(both.code, 2);
});

Deno.test("server: --key-gen-file and -S", async () => {
  const k = await run(["--key-gen-file", `${dir}/keys`, "--hmac-digest-type", "sha1"]);
  assertEquals(k.out, `[+] Wrote Rijndael and HMAC keys to: ${dir}/keys`);
  assertMatch(
    await Deno.readTextFile(`${dir}/keys`),
    /^KEY_BASE64: \S{44}\nHMAC_KEY_BASE64: \S{28}\n$/,
  );
  const s = await run([...BASE, "-S"]);
  assertEquals([s.code, s.out], [1, "No running fwknopd-ts detected.\n"]);
});

Deno.test({
  name: "server: UDP-server mode in -t accepts our client's packet and grants nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const port = 40000 + (Deno.pid % 20000);
    await Deno.writeTextFile(
      `${dir}/udp.conf`,
      `FWKNOP_RUN_DIR ${dir};\nENABLE_UDP_SERVER Y;\nUDPSERV_PORT ${port};\n`,
      { mode: 0o600 },
    );
    let err = "";
    const server = main([
      "-c",
      `${dir}/udp.conf`,
      "-a",
      `${dir}/access.conf`,
      "-f",
      "-t",
      "-C",
      "2",
    ], { out: () => {}, err: (t) => err += t });
    for (let i = 0; i < 50 && !err.includes("main event loop"); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const send = (extra: string[]) =>
      clientMain([
        "-A",
        "tcp/22",
        "-a",
        "198.51.100.7",
        "-D",
        "127.0.0.1",
        "-p",
        String(port),
        "--key-rijndael",
        "cli-key",
        "--key-hmac",
        "cli-hmac",
        "--no-rc-file",
        "--no-save-args",
        ...extra,
      ], { out: () => {}, err: () => {} });
    assertEquals(await send([]), 0);
    assertEquals(await send(["-A", "tcp/23"]), 0);
    assertEquals(await server, 0);
    assertMatch(
      err,
      /\[127\.0\.0\.1\] \(stanza #1\) --test mode enabled, skipping firewall manipulation\./,
    );
    assertMatch(err, /One or more requested protocol\/ports was denied per access\.conf/);
    assertMatch(err, /Packet count limit \(2\) reached/);
    assertMatch(err, /Processed 2 packets: 1 accepted \(test mode\), 1 refused\./);
  },
});

Deno.test("server: FIREWALL_TYPE and --fw-type choose the backend; -D and -V name it", async () => {
  const v = await run([...BASE, "--fw-type", "nftables", "-V"]);
  assertMatch(v.out, /firewall: nftables\n$/);
  const d = await run([...BASE, "--fw-type", "nftables", "-D"]);
  assertMatch(d.out, / FIREWALL_TYPE {16}= {2}'nftables'\n/);
  assertMatch(d.out, / FIREWALL_EXE {17}= {2}'\/usr\/sbin\/nft'\n/);
  const pf = await run([...BASE, "--fw-type", "pf", "-D"]);
  assertMatch(pf.out, / FIREWALL_EXE {17}= {2}'\/sbin\/pfctl'\n/);
  assertMatch(pf.out, / PF_ANCHOR_NAME {15}= {2}'fwknop'\n/);
  const bad = await run([...BASE, "--fw-type", "ipf"]);
  assertEquals(bad.code, 2);
  assertMatch(
    bad.err,
    /Invalid value 'ipf' for --fw-type: expected iptables or nftables or firewalld or ipfw or pf/,
  );
  await Deno.writeTextFile(`${dir}/fwtype.conf`, `FWKNOP_RUN_DIR ${dir};\nFIREWALL_TYPE ipf;\n`, {
    mode: 0o600,
  });
  const conf = await run(["-c", `${dir}/fwtype.conf`, "-a", `${dir}/access.conf`, "-D"]);
  assertEquals(conf.code, 1);
  assertMatch(
    conf.err,
    /fwtype\.conf:2: FIREWALL_TYPE: "ipf" is not one of iptables, nftables, firewalld, ipfw, pf/,
  );
});

Deno.test("server: a bad chain specification names file, line and variable, used or not", async () => {
  await Deno.writeTextFile(
    `${dir}/chain.conf`,
    `FWKNOP_RUN_DIR ${dir};\nPCAP_INTF lo;\nIPT_SNAT_ACCESS SNAT, nat;\n`,
    { mode: 0o600 },
  );
  const r = await run([
    "-c",
    `${dir}/chain.conf`,
    "-a",
    `${dir}/access.conf`,
    "--exit-parse-config",
  ]);
  assertEquals(r.code, 1);
  assertMatch(
    r.err,
    /chain\.conf:3: IPT_SNAT_ACCESS: Invalid IPT_SNAT_ACCESS specification "SNAT, nat": six comma-separated fields/,
  );
});

Deno.test("server: bad ipfw, pf and Docker variables name file, line and variable", async () => {
  const cases: [string, RegExp][] = [
    [
      "IPFW_ACTIVE_SET_NUM 2;\nIPFW_EXPIRE_SET_NUM 2;\n",
      /:4: IPFW_EXPIRE_SET_NUM: Cannot set identical ipfw active and expire sets\./,
    ],
    [
      "IPFW_START_RULE_NUM 70000;\n",
      /:3: IPFW_START_RULE_NUM: "70000" is not an integer from 1 to 65534/,
    ],
    [
      "IPFW_EXPIRE_PURGE_INTERVAL 0;\n",
      /:3: IPFW_EXPIRE_PURGE_INTERVAL: "0" is not an integer from 1 to 65535/,
    ],
  ];
  for (const [vars, re] of cases) {
    await Deno.writeTextFile(
      `${dir}/ipfw.conf`,
      `FWKNOP_RUN_DIR ${dir};\nFIREWALL_TYPE ipfw;\n${vars}`,
      {
        mode: 0o600,
      },
    );
    const r = await run(["-c", `${dir}/ipfw.conf`, "-a", `${dir}/access.conf`, "--fw-list"]);
    assertEquals(r.code, 1);
    assertMatch(r.err, re);
  }
  await Deno.writeTextFile(
    `${dir}/pf.conf`,
    `FWKNOP_RUN_DIR ${dir};\nFIREWALL_TYPE pf;\nPF_ANCHOR_NAME bad anchor;\n`,
    { mode: 0o600 },
  );
  const r = await run(["-c", `${dir}/pf.conf`, "-a", `${dir}/access.conf`, "--fw-list"]);
  assertEquals(r.code, 1);
  assertMatch(r.err, /pf\.conf:3: PF_ANCHOR_NAME: "bad anchor" is not an anchor name/);
  await Deno.writeTextFile(
    `${dir}/dock.conf`,
    `FWKNOP_RUN_DIR ${dir};\nFIREWALL_TYPE nftables;\nENABLE_DOCKER_USER Y;\n`,
    { mode: 0o600 },
  );
  const d = await run(["-c", `${dir}/dock.conf`, "-a", `${dir}/access.conf`, "--fw-list"]);
  assertEquals(d.code, 1);
  assertMatch(d.err, /dock\.conf:3: ENABLE_DOCKER_USER: needs FIREWALL_TYPE iptables/);
});

Deno.test("server: a bad firewall variable names file, line and variable", async () => {
  await Deno.writeTextFile(
    `${dir}/nft.conf`,
    `FWKNOP_RUN_DIR ${dir};\nFIREWALL_TYPE nftables;\nNFT_TABLE filter;\n`,
    { mode: 0o600 },
  );
  const r = await run(["-c", `${dir}/nft.conf`, "-a", `${dir}/access.conf`, "--fw-list"]);
  assertEquals(r.code, 1);
  assertMatch(r.err, /nft\.conf:3: NFT_TABLE: "filter" is not "FAMILY NAME"/);
});

Deno.test("server: --fleet-revoke names a bad address, and fleet mode when it is off", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/f.conf`, `FWKNOP_RUN_DIR ${dir};\n`, { mode: 0o600 });
  await Deno.writeTextFile(`${dir}/a.conf`, "SOURCE ANY\nKEY k\n", { mode: 0o600 });
  const run = async (v: string) => {
    let err = "";
    const code = await main(["--fleet-revoke", v, "-c", `${dir}/f.conf`, "-a", `${dir}/a.conf`], {
      out: () => {},
      err: (t) => err += t,
    });
    return { code, err };
  };
  const bad = await run("not-an-ip");
  assertEquals([bad.code, bad.err.trim()], [
    2,
    "Invalid value 'not-an-ip' for --fleet-revoke: expected an IP address",
  ]);
  const off = await run("192.0.2.1");
  assertEquals([off.code, off.err.trim()], [
    2,
    "--fleet-revoke needs fleet mode: FLEET_REDIS_URL is not set",
  ]);
  await Deno.remove(dir, { recursive: true });
});
