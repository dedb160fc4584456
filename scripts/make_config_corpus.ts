/**
 * Writes the differential configuration corpus (tests/testdata/config_corpus):
 * access.conf/fwknopd.conf pairs for `fwknopd --exit-parse-config` and
 * .fwknoprc files for `fwknop -T`, each run through the stock tool and ours
 * by tests/config_corpus_test.ts, which wants the same decision file by file.
 *
 * Every access.conf, fwknopd.conf and rc variable that the stock Linux
 * fwknopd and fwknop read gets its usual value, its edges and a bad value,
 * and the cross-variable rules get both sides (variables Debian's iptables
 * build ignores, and fwknopd-ts's own, are left to unit tests). Run after changing a case list:
 * `deno run --allow-write=tests/testdata/config_corpus scripts/make_config_corpus.ts`.
 *
 * @module
 */

/** One server case: access.conf text and extra fwknopd.conf lines. */
export interface ServerCase {
  name: string;
  access: string;
  conf?: string;
}

/** One client case: an rc stanza `[corpus]` body and extra command-line words. */
export interface RcCase {
  name: string;
  rc: string;
  args?: string[];
}

const K = "SOURCE ANY\nKEY abcdefgh\n";
const B64 = "YWJjZGVmZ2hpamtsbW5vcA=="; // "abcdefghijklmnop"
const HB64 = "aG1hY2tleWhtYWNrZXlobWFja2V5aG1hY2tleQ=="; // "hmackeyhmackeyhmackeyhmackey"

/** Values per access.conf variable: each becomes one case (with a key stanza around it). */
const ACCESS_VALUES: Record<string, string[]> = {
  SOURCE: [
    "ANY",
    "any",
    "10.0.0.1",
    "10.0.0.0/8",
    "10.0.0.0/33",
    "10.0.0.1, 192.0.2.0/24",
    "300.0.0.1",
    "",
    "2001:db8::/32",
  ],
  DESTINATION: ["ANY", "192.0.2.1", "192.0.2.0/24", "192.0.2.0/40", "not-an-ip"],
  OPEN_PORTS: [
    "tcp/22",
    "tcp/22, udp/53",
    "tcp/0",
    "tcp/65535",
    "tcp/65536",
    "icmp/1",
    "tcp22",
    "tcp/",
  ],
  RESTRICT_PORTS: ["tcp/23", "udp/1-2", "tcp/99999"],
  KEY_BASE64: [B64, "!!!", "YQ==", ""],
  HMAC_KEY: ["h", "x".repeat(128), "x".repeat(129)],
  HMAC_KEY_BASE64: [HB64, "***"],
  HMAC_DIGEST_TYPE: ["md5", "sha1", "SHA256", "sha384", "sha512", "sha3_256", "sha3_512", "sha224"],
  FW_ACCESS_TIMEOUT: ["1", "30", "0", "-5", "abc", "99999999999"],
  MAX_FW_TIMEOUT: ["300", "0", "x"],
  ENABLE_CMD_EXEC: ["Y", "N", "maybe"],
  ENABLE_CMD_SUDO_EXEC: ["Y", "N"],
  CMD_EXEC_USER: ["root", "nobody", "no-such-user-fwknop-corpus"],
  CMD_EXEC_GROUP: ["root", "no-such-group-fwknop-corpus"],
  CMD_SUDO_EXEC_USER: ["root", "no-such-user-fwknop-corpus"],
  CMD_SUDO_EXEC_GROUP: ["root"],
  REQUIRE_USERNAME: ["alice", "a b"],
  REQUIRE_SOURCE_ADDRESS: ["Y", "N"],
  REQUIRE_SOURCE: ["Y"],
  ACCESS_EXPIRE: ["01/01/2040", "1/1/40", "12/31/1999", "02/30/2030", "2030-01-01", "00/10/2030"],
  ACCESS_EXPIRE_EPOCH: ["2000000000", "0", "abc", "-1"],
  ENCRYPTION_MODE: ["CBC", "ECB", "CFB", "PCBC", "OFB", "CTR", "legacy", "nope"],
  GPG_ALLOW_NO_PW: ["Y", "N"],
  GPG_REQUIRE_SIG: ["Y", "N"],
  GPG_DISABLE_SIG: ["Y"],
  GPG_IGNORE_SIG_VERIFY_ERROR: ["Y"],
  DISABLE_DNAT: ["Y", "N"],
  FORCE_MASQUERADE: ["Y", "N"],
  FORWARD_ALL: ["N"],
};

/** Stanzas that are wrong or right as a whole (cross-variable rules, structure). */
const ACCESS_WHOLE: ServerCase[] = [
  { name: "empty file", access: "" },
  { name: "comments only", access: "# nothing\n\n   \n" },
  { name: "KEY before SOURCE", access: "KEY abcdefgh\nSOURCE ANY\n" },
  { name: "two stanzas", access: `${K}\nSOURCE 10.0.0.0/8\nKEY other\n` },
  { name: "second stanza without key", access: `${K}\nSOURCE 10.0.0.0/8\n` },
  { name: "unknown variable", access: `${K}NOT_A_VARIABLE 1\n` },
  { name: "variable without value", access: `${K}REQUIRE_USERNAME\n` },
  { name: "tab separated", access: "SOURCE\tANY\nKEY\tabcdefgh\n" },
  { name: "trailing spaces", access: "SOURCE ANY   \nKEY abcdefgh   \n" },
  { name: "lower-case variable", access: "source ANY\nkey abcdefgh\n" },
  { name: "KEY and KEY_BASE64", access: `SOURCE ANY\nKEY abcdefgh\nKEY_BASE64 ${B64}\n` },
  { name: "HMAC_KEY equal to KEY", access: `${K}HMAC_KEY abcdefgh\n` },
  {
    name: "HMAC_KEY_BASE64 equal to KEY_BASE64",
    access: `SOURCE ANY\nKEY_BASE64 ${B64}\nHMAC_KEY_BASE64 ${B64}\n`,
  },
  { name: "HMAC_DIGEST_TYPE without HMAC key", access: `${K}HMAC_DIGEST_TYPE sha512\n` },
  { name: "GPG only, no decrypt id", access: "SOURCE ANY\nGPG_DECRYPT_PW secret\n" },
  {
    name: "GPG with decrypt id and pw",
    access: "SOURCE ANY\nGPG_DECRYPT_ID ABCD1234\nGPG_DECRYPT_PW secret\nGPG_HOME_DIR /tmp\n",
  },
  {
    name: "GPG allow no pw",
    access: "SOURCE ANY\nGPG_DECRYPT_ID ABCD1234\nGPG_ALLOW_NO_PW Y\nGPG_HOME_DIR /tmp\n",
  },
  { name: "GPG id without pw", access: "SOURCE ANY\nGPG_DECRYPT_ID ABCD1234\nGPG_HOME_DIR /tmp\n" },
  {
    name: "GPG remote id and fingerprint",
    access:
      "SOURCE ANY\nGPG_DECRYPT_ID ABCD1234\nGPG_DECRYPT_PW x\nGPG_HOME_DIR /tmp\nGPG_REMOTE_ID 1234ABCD\nGPG_FINGERPRINT_ID 0123456789ABCDEF0123456789ABCDEF01234567\n",
  },
  {
    name: "GPG_EXE missing",
    access:
      "SOURCE ANY\nGPG_DECRYPT_ID ABCD1234\nGPG_DECRYPT_PW x\nGPG_HOME_DIR /tmp\nGPG_EXE /nonexistent/gpg\n",
  },
  {
    name: "FORCE_NAT bad address",
    access: `${K}FORCE_NAT 999.1.1.1 22\n`,
    conf: "ENABLE_IPT_FORWARDING Y;\n",
  },
  {
    name: "FORCE_NAT missing port",
    access: `${K}FORCE_NAT 192.0.2.2\n`,
    conf: "ENABLE_IPT_FORWARDING Y;\n",
  },
  {
    name: "FORCE_NAT port 0",
    access: `${K}FORCE_NAT 192.0.2.2 0\n`,
    conf: "ENABLE_IPT_FORWARDING Y;\n",
  },
  {
    name: "FORCE_NAT port 65536",
    access: `${K}FORCE_NAT 192.0.2.2 65536\n`,
    conf: "ENABLE_IPT_FORWARDING Y;\n",
  },
  {
    name: "FORCE_SNAT with SNAT on",
    access: `${K}FORCE_NAT 192.0.2.2 22\nFORCE_SNAT 192.0.2.9\n`,
    conf: "ENABLE_IPT_FORWARDING Y;\nENABLE_IPT_SNAT Y;\n",
  },
  {
    name: "FORCE_SNAT bad address",
    access: `${K}FORCE_NAT 192.0.2.2 22\nFORCE_SNAT 1.2.3\n`,
    conf: "ENABLE_IPT_FORWARDING Y;\nENABLE_IPT_SNAT Y;\n",
  },
  {
    name: "FORCE_MASQUERADE with SNAT on",
    access: `${K}FORCE_NAT 192.0.2.2 22\nFORCE_MASQUERADE Y\n`,
    conf: "ENABLE_IPT_FORWARDING Y;\nENABLE_IPT_SNAT Y;\n",
  },
  {
    name: "FORWARD_ALL with forwarding",
    access: `${K}FORWARD_ALL Y\n`,
    conf: "ENABLE_IPT_FORWARDING Y;\n",
  },
  { name: "FORWARD_ALL Y without forwarding", access: `${K}FORWARD_ALL Y\n` },
  { name: "CMD_CYCLE_OPEN alone", access: `${K}CMD_CYCLE_OPEN /bin/true\n` },
  { name: "CMD_CYCLE_CLOSE alone", access: `${K}CMD_CYCLE_CLOSE /bin/true\n` },
  {
    name: "CMD_CYCLE_TIMER 0",
    access: `${K}CMD_CYCLE_OPEN /bin/true\nCMD_CYCLE_CLOSE /bin/true\nCMD_CYCLE_TIMER 0\n`,
  },
  {
    name: "CMD_CYCLE_CLOSE NONE",
    access: `${K}CMD_CYCLE_OPEN /bin/true\nCMD_CYCLE_CLOSE NONE\nCMD_CYCLE_TIMER 5\n`,
  },
  {
    name: "MAX_FW_TIMEOUT below FW_ACCESS_TIMEOUT",
    access: `${K}FW_ACCESS_TIMEOUT 60\nMAX_FW_TIMEOUT 30\n`,
  },
  { name: "%include of a missing file", access: `${K}%include /nonexistent/fwknop-corpus.conf\n` },
  {
    name: "%include_folder of a missing folder",
    access: `${K}%include_folder /nonexistent/fwknop-corpus.d\n`,
  },
  {
    name: "%include_keys of a missing file",
    access: `${K}%include_keys /nonexistent/fwknop-corpus.keys\n`,
  },
];

/** fwknopd.conf lines, one case each (the access.conf is the minimal key stanza). */
const CONF_VALUES: Record<string, string[]> = {
  PCAP_INTF: ["lo", "eth-none-corpus"],
  ENABLE_PCAP_PROMISC: ["Y", "N"],
  PCAP_FILTER: ["udp port 62201", "udp port 62201 or tcp port 62201"],
  ENABLE_SPA_PACKET_AGING: ["Y", "N"],
  MAX_SPA_PACKET_AGE: ["1", "120", "100000", "100001", "abc"],
  ENABLE_DIGEST_PERSISTENCE: ["Y", "N"],
  RULES_CHECK_THRESHOLD: ["20", "0", "-1"],
  MAX_SNIFF_BYTES: ["1", "1500", "1514", "1515", "0"],
  TCPSERV_PORT: ["62201", "0", "65535", "65536"],
  UDPSERV_PORT: ["62201", "1", "65535"],
  ENABLE_UDP_SERVER: ["Y", "N"],
  ENABLE_TCP_SERVER: ["N"],
  PCAP_DISPATCH_COUNT: ["1", "100", "0"],
  PCAP_LOOP_SLEEP: ["1", "100000", "100001", "0"],
  ENABLE_IPT_FORWARDING: ["Y", "N"],
  ENABLE_IPT_LOCAL_NAT: ["Y"],
  ENABLE_IPT_SNAT: ["Y", "N"],
  SNAT_TRANSLATE_IP: ["192.0.2.5", "192.0.2", "::1"],
  ENABLE_IPT_OUTPUT: ["Y"],
  ENABLE_DESTINATION_RULE: ["Y"],
  FLUSH_IPT_AT_INIT: ["Y", "N"],
  FLUSH_IPT_AT_EXIT: ["N"],
  IPT_INPUT_ACCESS: [
    "ACCEPT, filter, INPUT, 1, FWKNOP_INPUT, 1",
    "ACCEPT,filter,INPUT,1,FWKNOP_INPUT,1",
    "ACCEPT, filter, INPUT, 1, FWKNOP_INPUT",
    "ACCEPT, filter, INPUT, x, FWKNOP_INPUT, 1",
    "ACCEPT, filter, INPUT, 1, FWKNOP INPUT, 1",
  ],
  IPT_OUTPUT_ACCESS: ["ACCEPT, filter, OUTPUT, 1, FWKNOP_OUTPUT, 1", "ACCEPT, filter"],
  IPT_FORWARD_ACCESS: ["ACCEPT, filter, FORWARD, 1, FWKNOP_FORWARD, 1", "bad"],
  IPT_DNAT_ACCESS: ["DNAT, nat, PREROUTING, 1, FWKNOP_PREROUTING, 1", "DNAT, nat"],
  IPT_SNAT_ACCESS: ["SNAT, nat, POSTROUTING, 1, FWKNOP_POSTROUTING, 1", "SNAT"],
  IPT_MASQUERADE_ACCESS: ["MASQUERADE, nat, POSTROUTING, 1, FWKNOP_MASQUERADE, 1", "M"],
  ENABLE_IPT_COMMENT_CHECK: ["Y", "N"],
  ENABLE_RULE_PREPEND: ["Y"],
  ENABLE_NAT_DNS: ["Y"],
  GPG_HOME_DIR: ["/tmp", "/nonexistent/fwknop-corpus-gpg"],
  GPG_EXE: ["/usr/bin/gpg", "/nonexistent/gpg"],
  SUDO_EXE: ["/usr/bin/sudo"],
  LOCALE: ["C", "NONE"],
  SYSLOG_IDENTITY: ["fwknopd", "fwknopd-ts"],
  SYSLOG_FACILITY: ["LOG_DAEMON", "LOG_LOCAL7", "LOG_NOPE"],
  ENABLE_X_FORWARDED_FOR: ["Y"],
  ENABLE_SPA_OVER_HTTP: ["Y"],
  ALLOW_ANY_USER_AGENT: ["Y"],
  EXIT_AT_INTF_DOWN: ["Y", "N"],
  CMD_EXEC_TIMEOUT: ["10", "0"],
  UDPSERV_SELECT_TIMEOUT: ["500000", "0"],
  FIREWALL_EXE: ["/usr/sbin/iptables", "/nonexistent/iptables"],
  PCAP_FILE: ["/nonexistent/fwknop-corpus.pcap"],
  ENABLE_PCAP_ANY_DIRECTION: ["Y", "N"],
  FWKNOP_PID_FILE: ["$FWKNOP_RUN_DIR/other.pid"],
  VERBOSE: ["0", "1"],
};

/** fwknopd.conf as a whole (structure, `$VAR` expansion). */
const CONF_WHOLE: ServerCase[] = [
  { name: "conf unknown variable", access: K, conf: "NOT_A_VARIABLE 1;\n" },
  { name: "conf without semicolons", access: K, conf: "MAX_SPA_PACKET_AGE 60\n" },
  { name: "conf value with spaces", access: K, conf: "PCAP_FILTER udp dst port 62201;\n" },
  {
    name: "conf $FWKNOP_RUN_DIR expansion",
    access: K,
    conf: "DIGEST_FILE $FWKNOP_RUN_DIR/digest.cache;\n",
  },
  { name: "conf $UNKNOWN expansion", access: K, conf: "DIGEST_FILE $NOPE/digest.cache;\n" },
  { name: "conf comment after value", access: K, conf: "MAX_SPA_PACKET_AGE 60; # a minute\n" },
  { name: "conf variable without value", access: K, conf: "MAX_SPA_PACKET_AGE;\n" },
  { name: "conf SNAT on without translate ip", access: K, conf: "ENABLE_IPT_SNAT Y;\n" },
  {
    name: "conf forwarding and SNAT",
    access: K,
    conf: "ENABLE_IPT_FORWARDING Y;\nENABLE_IPT_SNAT Y;\nSNAT_TRANSLATE_IP 192.0.2.5;\n",
  },
  {
    // fwknopd-ts's own variable: the stock fwknopd ignores it (and runs the first port only), so
    // an access.conf that uses it still loads after a rollback.
    name: "access CMD_CYCLE_PER_PORT in a cycle stanza",
    access: `${K}CMD_CYCLE_OPEN /bin/true $PORT\nCMD_CYCLE_CLOSE /bin/true $DST_PORT\n` +
      "CMD_CYCLE_TIMER 5\nCMD_CYCLE_PER_PORT Y\n",
  },
];

/** Values per rc variable, inside a stanza that is otherwise complete. */
const RC_VALUES: Record<string, string[]> = {
  ACCESS: ["tcp/22", "tcp/22,udp/53", "tcp/99999", "tcp22"],
  SPA_SERVER_PROTO: ["udp", "tcp", "http", "icmp", "nope"],
  SPA_SERVER_PORT: ["62201", "1", "65535", "0", "65536"],
  SPA_SOURCE_PORT: ["40000", "0", "70000"],
  FW_TIMEOUT: ["30", "0", "-1", "x"],
  TIME_OFFSET: ["60", "-60", "5m", "+1H", "-1s", "2d", "x"],
  ENCRYPTION_MODE: ["CBC", "ctr", "legacy", "bogus"],
  DIGEST_TYPE: ["md5", "sha1", "sha256", "sha384", "sha512", "sha3_256", "bogus"],
  HMAC_DIGEST_TYPE: ["sha256", "sha512", "sha3_512", "bogus"],
  USE_HMAC: ["Y", "N"],
  SPOOF_USER: ["alice"],
  RAND_PORT: ["Y", "N"],
  NAT_ACCESS: ["192.0.2.2,22", "192.0.2.2"],
  NAT_LOCAL: ["Y"],
  NAT_PORT: ["2222", "0"],
  NAT_RAND_PORT: ["Y"],
  HTTP_USER_AGENT: ["Fwknop/2.6.10"],
  VERBOSE: ["Y", "N"],
  ALLOW_IP: ["192.0.2.7", "300.1.1.1", "source"],
  USE_GPG: ["N"],
  NO_SAVE_ARGS: ["Y"],
  SERVER_RESOLVE_IPV4: ["N"],
};

const RC_BASE =
  `SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\nKEY_BASE64 ${B64}\nHMAC_KEY_BASE64 ${HB64}\nUSE_HMAC Y\n`;

const RC_WHOLE: RcCase[] = [
  { name: "rc complete", rc: RC_BASE },
  { name: "rc without key", rc: "SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\n" },
  {
    name: "rc without access",
    rc: `SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nKEY_BASE64 ${B64}\n`,
  },
  { name: "rc without server", rc: `ALLOW_IP 192.0.2.7\nACCESS tcp/22\nKEY_BASE64 ${B64}\n` },
  {
    name: "rc KEY plain",
    rc: "SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\nKEY abcdefgh\n",
  },
  {
    name: "rc KEY_BASE64 bad",
    rc: "SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\nKEY_BASE64 !!!\n",
  },
  {
    name: "rc HMAC without key",
    rc: `SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\nKEY_BASE64 ${B64}\nUSE_HMAC Y\n`,
  },
  { name: "rc unknown variable", rc: `${RC_BASE}NOT_A_VARIABLE 1\n` },
  { name: "rc lower-case variable", rc: `${RC_BASE}verbose Y\n` },
  { name: "rc equals sign", rc: `${RC_BASE}VERBOSE=Y\n` },
  { name: "rc comment lines", rc: `# a comment\n${RC_BASE}# another\n` },
  { name: "rc missing stanza", rc: RC_BASE, args: ["-n", "other"] },
  {
    name: "rc GPG signer pw without key",
    rc:
      "SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\nUSE_GPG Y\nGPG_RECIPIENT ABCD1234\nGPG_SIGNING_PW x\nGPG_HOMEDIR /nonexistent/fwknop-corpus-gpg\n",
  },
  { name: "rc command-line access overrides", rc: RC_BASE, args: ["-A", "udp/53"] },
  { name: "rc command-line bad port", rc: RC_BASE, args: ["-p", "99999"] },
];

/**
 * Issue #24's parity cases, appended so the files before them keep their
 * numbers: a group name that is a user (fwknopd 2.6.10 reads it with
 * getpwnam), FORCE_MASQUERADE with FORWARD_ALL while forwarding is off, a
 * relative FWKNOP_RUN_DIR, an rc stanza whose only secret is GPG_SIGNING_PW;
 * and the new variables of its asks (PCAP_INTF lists, GRANT_SOURCE_PREFIX_*,
 * ALERTING_METHODS, EMAIL_ADDRESSES, ALERT_*), which the stock daemon ignores.
 */
const PARITY_24: ServerCase[] = [
  {
    name: "CMD_EXEC_GROUP nobody, a user and no group on Debian",
    access: `${K}CMD_EXEC_GROUP nobody
`,
  },
  {
    name: "CMD_EXEC_USER and CMD_EXEC_GROUP nobody",
    access: `${K}CMD_EXEC_USER nobody
CMD_EXEC_GROUP nobody
`,
  },
  {
    name: "CMD_SUDO_EXEC_GROUP nobody",
    access: `${K}CMD_SUDO_EXEC_GROUP nobody
`,
  },
  {
    name: "CMD_SUDO_EXEC_GROUP missing",
    access: `${K}CMD_SUDO_EXEC_GROUP no-such-group-fwknop-corpus
`,
  },
  {
    name: "CMD_EXEC_GROUP nogroup, a group and no user",
    access: `${K}CMD_EXEC_GROUP nogroup
`,
  },
  {
    name: "FORCE_MASQUERADE and FORWARD_ALL without forwarding",
    access: `${K}FORCE_MASQUERADE Y\nFORWARD_ALL Y\n`,
  },
  {
    name: "FORCE_MASQUERADE FORWARD_ALL and OPEN_PORTS without forwarding",
    access: `${K}OPEN_PORTS tcp/22\nFORCE_MASQUERADE Y\nFORWARD_ALL Y\n`,
  },
  {
    name: "FORCE_MASQUERADE and OPEN_PORTS without FORWARD_ALL",
    access: `${K}OPEN_PORTS tcp/22\nFORCE_MASQUERADE Y\n`,
  },
  { name: "conf FWKNOP_RUN_DIR relative", access: K, conf: "FWKNOP_RUN_DIR non/full/path;\n" },
  { name: "conf FWKNOP_RUN_DIR bare name", access: K, conf: "FWKNOP_RUN_DIR fwknop;\n" },
  // Several capture interfaces: both load a list and auto (fwknopd fails later, at capture).
  { name: "conf PCAP_INTF list", access: K, conf: "PCAP_INTF eth0,wg0;\n" },
  { name: "conf PCAP_INTF auto", access: K, conf: "PCAP_INTF auto;\n" },
  { name: "conf PCAP_INTF slash", access: K, conf: "PCAP_INTF eth0/x;\n" },
  // Network grants: fwknopd-ts's own stanza variables, which the stock fwknopd ignores.
  { name: "access GRANT_SOURCE_PREFIX_V4 24", access: `${K}GRANT_SOURCE_PREFIX_V4 24\n` },
  { name: "access GRANT_SOURCE_PREFIX_V6 64", access: `${K}GRANT_SOURCE_PREFIX_V6 64\n` },
  {
    name: "access GRANT_SOURCE_PREFIX_V4 and V6 with OPEN_PORTS",
    access: `${K}OPEN_PORTS tcp/22\nGRANT_SOURCE_PREFIX_V4 32\nGRANT_SOURCE_PREFIX_V6 48\n`,
  },
  // Alerts: fwknop 1.x's ALERTING_METHODS and EMAIL_ADDRESSES, and our ALERT_* (stock ignores them).
  {
    name: "conf ALERTING_METHODS and EMAIL_ADDRESSES",
    access: K,
    conf: "ALERTING_METHODS ALL;\nEMAIL_ADDRESSES root@localhost, admin@localhost;\n",
  },
  {
    name: "conf ALERTING_METHODS noemail with a webhook",
    access: K,
    conf: "ALERTING_METHODS noemail;\nALERT_WEBHOOK_URL https://127.0.0.1:8443/fwknop;\n",
  },
  {
    name: "conf every ALERT variable",
    access: K,
    conf: "EMAIL_ADDRESSES root@localhost;\nALERT_SMTP_SERVER localhost:25;\n" +
      "ALERT_SMTP_STARTTLS N;\nALERT_FROM fwknopd@localhost;\nALERT_EMAIL_EVENTS grant,replay,fault;\n" +
      "ALERT_WEBHOOK_URL https://127.0.0.1:8443/fwknop;\nALERT_WEBHOOK_EVENTS all;\n" +
      "ALERT_TIMEOUT 10;\nALERT_RETRIES 3;\nALERT_QUEUE_SIZE 100;\n",
  },
];

/** Issue #24's rc cases (see {@link PARITY_24}). */
const RC_PARITY_24: RcCase[] = [
  {
    name: "rc GPG_SIGNING_PW as the only secret",
    rc: "SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\nGPG_SIGNING_PW signing-secret\n",
  },
  {
    name: "rc GPG_SIGNING_PW_BASE64 as the only secret",
    rc: `SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\nGPG_SIGNING_PW_BASE64 ${B64}\n`,
  },
  {
    name: "rc GPG_SIGNING_PW with HMAC",
    rc:
      `SPA_SERVER 127.0.0.1\nALLOW_IP 192.0.2.7\nACCESS tcp/22\nGPG_SIGNING_PW signing-secret\nHMAC_KEY_BASE64 ${HB64}\nUSE_HMAC Y\n`,
  },
];

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
}

/** Every server case. */
export function serverCases(): ServerCase[] {
  const out: ServerCase[] = [];
  for (const [name, values] of Object.entries(ACCESS_VALUES)) {
    for (const v of values) {
      const base = name === "SOURCE" ? "KEY abcdefgh\n" : K;
      out.push({
        name: `access ${name} ${v === "" ? "(empty)" : v}`,
        access: name === "SOURCE" ? `SOURCE ${v}\n${base}` : `${base}${name} ${v}\n`,
      });
    }
  }
  out.push(...ACCESS_WHOLE);
  for (const [name, values] of Object.entries(CONF_VALUES)) {
    for (const v of values) {
      out.push({ name: `conf ${name} ${v}`, access: K, conf: `${name} ${v};\n` });
    }
  }
  out.push(...CONF_WHOLE);
  out.push(...PARITY_24);
  return out;
}

/** Every rc case. */
export function rcCases(): RcCase[] {
  const out: RcCase[] = [];
  for (const [name, values] of Object.entries(RC_VALUES)) {
    for (const v of values) {
      const rc = RC_BASE.split("\n").filter((l) => !l.startsWith(`${name} `)).join("\n");
      out.push({ name: `rc ${name} ${v}`, rc: `${rc}${name} ${v}\n` });
    }
  }
  out.push(...RC_WHOLE);
  out.push(...RC_PARITY_24);
  return out;
}

/** The corpus directory. */
export const CORPUS = new URL("../tests/testdata/config_corpus/", import.meta.url);

if (import.meta.main) {
  await Deno.remove(CORPUS, { recursive: true }).catch(() => {});
  await Deno.mkdir(new URL("server/", CORPUS), { recursive: true });
  await Deno.mkdir(new URL("rc/", CORPUS), { recursive: true });
  serverCases().forEach((c, i) => {
    const stem = `${String(i + 1).padStart(3, "0")}-${slug(c.name)}`;
    Deno.writeTextFileSync(new URL(`server/${stem}.access.conf`, CORPUS), c.access);
    Deno.writeTextFileSync(new URL(`server/${stem}.fwknopd.conf`, CORPUS), c.conf ?? "");
  });
  rcCases().forEach((c, i) => {
    const stem = `${String(i + 1).padStart(3, "0")}-${slug(c.name)}`;
    const head = c.args === undefined ? "" : `# args: ${c.args.join(" ")}\n`;
    Deno.writeTextFileSync(new URL(`rc/${stem}.fwknoprc`, CORPUS), `${head}[corpus]\n${c.rc}`);
  });
  // deno-lint-ignore no-console
  console.log(`${serverCases().length} server cases, ${rcCases().length} rc cases`);
}
