import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { DigestType } from "../spa/digest.ts";
import { EncryptionMode } from "../spa/rijndael.ts";
import { loadAccess } from "./access_conf.ts";
import { netsContain, parseAddr } from "../net/addr.ts";
import { ConfigError } from "./lexer.ts";
import { loadServerConfig } from "./server_conf.ts";

const dir = await Deno.makeTempDir({ prefix: "fwknop-conf-" });
const write = (name: string, text: string) => Deno.writeTextFileSync(`${dir}/${name}`, text);

Deno.test("loadAccess reads stanzas with fwknopd's defaults and legacy syntax", () => {
  write(
    "a.conf",
    "# leading comment\nSOURCE: 10.0.0.0/8, 192.168.1.1;\nKEY_BASE64: d0xXWkd5MngxNXBKM2dHYnEyYVBIYnlWZFB0WVRzM1k=;\nHMAC_KEY fwknophmactest\n" +
      "HMAC_DIGEST_TYPE sha3_512\nENCRYPTION_MODE ctr\nOPEN_PORTS tcp/22, UDP/53\nFW_ACCESS_TIMEOUT 0\n\nSOURCE ANY\nKEY x\nENCRYPTION_MODE legacy\n",
  );
  const { stanzas } = loadAccess([`${dir}/a.conf`]);
  assertEquals(stanzas.length, 2);
  const [a, b] = stanzas as [typeof stanzas[0], typeof stanzas[0]];
  assertEquals(a.index, 1);
  assert(
    netsContain(a.source, parseAddr("10.200.1.1")!) &&
      netsContain(a.source, parseAddr("192.168.1.1")!),
  );
  assert(!netsContain(a.source, parseAddr("192.168.1.2")!));
  assertEquals(a.hmacType, DigestType.SHA3_512);
  assertEquals(a.mode, EncryptionMode.CTR);
  assertEquals(a.openPorts, [{ proto: "tcp", port: 22 }, { proto: "udp", port: 53 }]);
  assertEquals(a.fwAccessTimeout, 30);
  assertEquals(a.maxFwTimeout, 300);
  assertEquals(new TextDecoder().decode(b.key), "x000000000000000");
});

Deno.test("loadAccess follows %include, %include_folder and %include_keys", () => {
  Deno.mkdirSync(`${dir}/more`, { recursive: true });
  write("more/one.conf", "SOURCE 1.1.1.1\nKEY one\n");
  write("more/two.conf_local", "SOURCE 2.2.2.2\nKEY two\n");
  write("more/old.conf.disabled", "SOURCE 5.5.5.5\nKEY five\n");
  write("more/skip.txt", "SOURCE 3.3.3.3\nKEY three\n");
  write("keys.conf", "KEY from-keys-file\nHMAC_KEY hmac-from-keys\nOPEN_PORTS tcp/1\n");
  write("main.conf", "%include_folder more\nSOURCE 4.4.4.4\n%include_keys keys.conf\n");
  const { stanzas } = loadAccess([`${dir}/main.conf`]);
  assertEquals(stanzas.map((s) => s.raw.get("SOURCE")), ["1.1.1.1", "2.2.2.2", "4.4.4.4"]);
  assertEquals(new TextDecoder().decode(stanzas[2]!.key), "from-keys-file");
  assertEquals(stanzas[2]!.openPorts, undefined, "%include_keys takes only key variables");
});

Deno.test("access.conf mistakes name the file, the line and the variable", () => {
  const cases: [string, string][] = [
    [
      "SOURCE ANY\nKEY k\nOPEN_PORTS tcp/99999\n",
      ':3: OPEN_PORTS: "tcp/99999" is not tcp/PORT or udp/PORT',
    ],
    ["SOURCE 1.2.3\nKEY k\n", ':1: SOURCE: "1.2.3" is not an IPv4 or IPv6 address or network'],
    ["SOURCE ANY\nKEY __CHANGEME__\n", ":2: KEY: still holds the placeholder __CHANGEME__"],
    ["SOURCE ANY\nKEY k\nHMAC_DIGEST_TYPE sha999\n", ":3: HMAC_DIGEST_TYPE:"],
    ["SOURCE ANY\nKEY k\nFW_ACCESS_TIMEOUT -5\n", ":3: FW_ACCESS_TIMEOUT:"],
    ["SOURCE ANY\nHMAC_KEY h\n", "has no KEY, KEY_BASE64 or GnuPG decryption setting"],
    ["SOURCE ANY\nKEY same\nHMAC_KEY same\n", "the encryption and HMAC keys must differ"],
    [
      "SOURCE ANY\nKEY k\nCMD_CYCLE_OPEN /bin/true\n",
      "CMD_CYCLE_OPEN and CMD_CYCLE_CLOSE must be set together",
    ],
    ["# nothing\n", "no access stanza"],
  ];
  for (const [text, want] of cases) {
    write("bad.conf", text);
    assertThrows(() => loadAccess([`${dir}/bad.conf`]), ConfigError, want);
  }
});

Deno.test("loadServerConfig applies defaults, $VAR expansion, overrides and range checks", () => {
  write(
    "fwknopd.conf",
    "FWKNOP_RUN_DIR /var/tmp/fw;\nPCAP_INTF eth9;\nBOGUS_VAR 1;\nENABLE_NFQ_CAPTURE Y;\n",
  );
  write("override.conf", "PCAP_INTF eth7;\n");
  const c = loadServerConfig(`${dir}/fwknopd.conf`, [`${dir}/override.conf`]);
  assertEquals(c.get("PCAP_INTF"), "eth7");
  assertEquals(c.get("DIGEST_FILE"), "/var/tmp/fw/digest.cache");
  assertEquals(c.get("PCAP_FILTER"), "udp port 62201");
  assertEquals(c.int("MAX_SPA_PACKET_AGE"), 120);
  assert(c.warnings.some((w) => w.includes(":3: ignoring unknown variable BOGUS_VAR")));
  assert(c.warnings.some((w) => w.includes("ENABLE_NFQ_CAPTURE is not supported yet")));
  write("range.conf", "MAX_SPA_PACKET_AGE 0;\n");
  assertThrows(
    () => loadServerConfig(`${dir}/range.conf`),
    ConfigError,
    'range.conf:1: MAX_SPA_PACKET_AGE: "0" is not a whole number from 1 to 100000',
  );
});

Deno.test("access.conf: fwknopd's load rules: short dates, long keys, GPG_HOME_DIR", () => {
  write(
    "p.conf",
    `SOURCE ANY\nKEY ${"k".repeat(33)}\nHMAC_KEY ${"h".repeat(200)}\nACCESS_EXPIRE 3/10/01\n`,
  );
  const { stanzas, warnings } = loadAccess([`${dir}/p.conf`]);
  assertEquals(new Date(stanzas[0]!.accessExpire! * 1000).getFullYear(), 1);
  assert(
    warnings.some((w) => /p\.conf:4: ACCESS_EXPIRE "3\/10\/01" is read as 03\/10\/1/.test(w)),
    warnings.join("\n"),
  );
  assert(warnings.some((w) => /KEY: stanza #1: the key is 33 bytes/.test(w)), warnings.join("\n"));
  assert(
    warnings.some((w) => /HMAC_KEY: stanza #1: the HMAC key is 200 bytes/.test(w)),
    warnings.join("\n"),
  );
  write("g.conf", "SOURCE ANY\nKEY k\nGPG_HOME_DIR /nonexistent/fwknop-gpg\n");
  assertThrows(
    () => loadAccess([`${dir}/g.conf`]),
    ConfigError,
    "g.conf:3: GPG_HOME_DIR: directory '/nonexistent/fwknop-gpg' does not exist",
  );
});

Deno.test("fwknopd.conf: LOG_FORMAT and METRICS_ADDRESS mistakes name file, line and variable", () => {
  write("lf.conf", "PCAP_INTF lo;\nLOG_FORMAT yaml;\n");
  assertThrows(
    () => loadServerConfig(`${dir}/lf.conf`),
    ConfigError,
    'lf.conf:2: LOG_FORMAT: "yaml" is not text or json',
  );
  write("ma.conf", "METRICS_ADDRESS 9685;\n");
  assertThrows(
    () => loadServerConfig(`${dir}/ma.conf`),
    ConfigError,
    'ma.conf:1: METRICS_ADDRESS: "9685" is not HOST:PORT',
  );
  write("ok.conf", "METRICS_ADDRESS [2001:db8::1]:9685;\nLOG_FORMAT json;\n");
  assertEquals(loadServerConfig(`${dir}/ok.conf`).get("METRICS_ADDRESS"), "[2001:db8::1]:9685");
});

Deno.test("values fwknopd's strtol accepts are read as it reads them, with a warning", () => {
  write(
    "lenient.conf",
    "SOURCE ANY\nKEY k\nOPEN_PORTS tcp/, udp/53x\nFW_ACCESS_TIMEOUT abc\nACCESS_EXPIRE_EPOCH never\n" +
      "FORCE_MASQUERADE N\n%include_keys /nonexistent/fwknop-keys\n",
  );
  const { stanzas, warnings } = loadAccess([`${dir}/lenient.conf`]);
  const s = stanzas[0]!;
  assertEquals(s.openPorts, [{ proto: "tcp", port: 0 }, { proto: "udp", port: 53 }]);
  assertEquals(s.fwAccessTimeout, 30, "abc reads as 0, which means the default");
  assertEquals(
    s.accessExpire,
    1,
    "an unreadable expiry closes the stanza (fwknopd: never expires)",
  );
  for (
    const w of [
      /:3: OPEN_PORTS: "udp\/53x" is read as udp\/53/,
      /:4: FW_ACCESS_TIMEOUT: "abc" is not a number; fwknopd reads it as 0/,
      /:5: ACCESS_EXPIRE_EPOCH: "never" is not a time .* treated as expired/,
      /cannot read "\/nonexistent\/fwknop-keys".*the stanza gets no keys from it/,
    ]
  ) assert(warnings.some((x) => w.test(x)), `${w} in ${warnings.join("\n")}`);
});

Deno.test("a command user or group that does not exist is refused, as fwknopd refuses it", () => {
  for (const v of ["CMD_EXEC_USER", "CMD_SUDO_EXEC_USER", "CMD_EXEC_GROUP"]) {
    write("user.conf", `SOURCE ANY\nKEY k\n${v} no-such-name-fwknop-test\n`);
    assertThrows(
      () => loadAccess([`${dir}/user.conf`]),
      ConfigError,
      `:3: ${v}: no ${v.endsWith("GROUP") ? "group or user" : "user"} "no-such-name-fwknop-test"`,
    );
  }
  write("user.conf", "SOURCE ANY\nKEY k\nCMD_EXEC_USER root\nCMD_EXEC_GROUP root\n");
  assertEquals(loadAccess([`${dir}/user.conf`]).stanzas[0]!.cmdExecUser, "root");
});

Deno.test("fwknopd.conf: a name without a value is skipped with a warning; SYSLOG_FACILITY and TCPSERV_PORT checked", () => {
  write("bare.conf", "FWKNOP_RUN_DIR /var/tmp/fw;\nMAX_SPA_PACKET_AGE;\n");
  const c = loadServerConfig(`${dir}/bare.conf`);
  assert(
    c.warnings.some((w) =>
      /bare\.conf:2: MAX_SPA_PACKET_AGE has no value; the line is ignored/.test(w)
    ),
  );
  assertEquals(c.get("MAX_SPA_PACKET_AGE"), "120");
  write("fac.conf", "SYSLOG_FACILITY LOG_NOPE;\n");
  assertThrows(() => loadServerConfig(`${dir}/fac.conf`), ConfigError, ":1: SYSLOG_FACILITY:");
  write("fac.conf", "SYSLOG_FACILITY log_local3;\n");
  loadServerConfig(`${dir}/fac.conf`);
  write("tcp.conf", "TCPSERV_PORT 0;\n");
  assertThrows(() => loadServerConfig(`${dir}/tcp.conf`), ConfigError, ":1: TCPSERV_PORT:");
});

Deno.test("knock stanzas: fwknop 1.x settings, and each mistake named", () => {
  write(
    "knock.conf",
    "SOURCE ANY\nSHARED_SEQUENCE tcp/1001, udp/1002, icmp\nOPEN_PORTS tcp/22\nKNOCK_INTERVAL 10\n" +
      "KNOCK_LIMIT 3\nMIN_TIME_DIFF 1\nMAX_TIME_DIFF 5\nREQUIRE_USERNAME alice, bob\n\n" +
      "SOURCE 10.0.0.0/8\nENCRYPT_SEQUENCE\nKEY knockknock\nPORT_OFFSET 61000\nDATA_COLLECT_MODE PCAP\n" +
      "FLEET_GROUP edge-1\nPERMIT_CLIENT_PORTS Y\nKNOCK_ALLOW_ADDRESSES 0.0.0.0, 198.51.100.7\n",
  );
  const { stanzas } = loadAccess([`${dir}/knock.conf`]);
  const [shared, enc] = stanzas as [typeof stanzas[0], typeof stanzas[0]];
  assertEquals(shared.knock!.mode, "shared");
  assertEquals(shared.knock!.sequence, [
    { proto: "tcp", port: 1001 },
    { proto: "udp", port: 1002 },
    { proto: "icmp", port: 0 },
  ]);
  assertEquals(
    [shared.knock!.interval, shared.knock!.knockLimit, shared.knock!.minTimeDiff],
    [10, 3, 1],
  );
  assertEquals(shared.knock!.usernames, ["alice", "bob"]);
  assertEquals([enc.knock!.mode, enc.knock!.offset, enc.fleetGroup], [
    "encrypted",
    61000,
    "edge-1",
  ]);
  assertEquals([enc.knock!.permitClientPorts, enc.knock!.allowAddresses], [true, [
    "0.0.0.0",
    "198.51.100.7",
  ]]);
  const bad: [string, string][] = [
    ["SOURCE ANY\nSHARED_SEQUENCE tcp/1001\nOPEN_PORTS tcp/22\n", "needs at least two knocks"],
    [
      "SOURCE ANY\nSHARED_SEQUENCE tcp/0, tcp/2\nOPEN_PORTS tcp/22\n",
      "is not tcp/PORT, udp/PORT or icmp",
    ],
    ["SOURCE ANY\nSHARED_SEQUENCE tcp/1, tcp/2\n", "a shared knock sequence needs OPEN_PORTS"],
    [
      "SOURCE ANY\nKNOCK_INTERVAL 5\nOPEN_PORTS tcp/22\n",
      "knock settings without ENCRYPT_SEQUENCE",
    ],
    ["SOURCE ANY\nENCRYPT_SEQUENCE Y\nKEY short\n", "needs a KEY of at least 8 characters"],
    [
      "SOURCE ANY\nENCRYPT_SEQUENCE Y\nKEY knockknock\n",
      "an encrypted knock sequence needs OPEN_PORTS or PERMIT_CLIENT_PORTS Y",
    ],
    [
      "SOURCE ANY\nENCRYPT_SEQUENCE Y\nKEY knockknock\nOPEN_PORTS tcp/22\nKNOCK_ALLOW_ADDRESSES 224.0.0.1\n",
      "is not a unicast address",
    ],
    [
      "SOURCE ANY\nENCRYPT_SEQUENCE Y\nKEY knockknock\nOPEN_PORTS tcp/22\nKNOCK_ALLOW_ADDRESSES 010.1.2.3\n",
      "has an octet with a leading zero",
    ],
    [
      "SOURCE ANY\nSHARED_SEQUENCE tcp/1, tcp/2\nOPEN_PORTS tcp/22\nMIN_TIME_DIFF 5\nMAX_TIME_DIFF 2\n",
      "MAX_TIME_DIFF is below MIN_TIME_DIFF",
    ],
    [
      "SOURCE ANY\nKEY k\nDATA_COLLECT_MODE ULOG\n",
      "is not ENCRYPT_SEQUENCE, SHARED_SEQUENCE or PCAP",
    ],
    ["SOURCE ANY\nKEY k\nFLEET_GROUP bad/name\n", "is not a fleet group name"],
    ["SOURCE ANY\nKEY k\nFORCE_NAT 192.0.2.1\n", 'is not "IP PORT"'],
    ["SOURCE ANY\nKEY k\nFORCE_SNAT 1.2.3\n", "is not an IPv4 address"],
  ];
  for (const [text, want] of bad) {
    write("bad.conf", text);
    assertThrows(() => loadAccess([`${dir}/bad.conf`]), ConfigError, want);
  }
});
