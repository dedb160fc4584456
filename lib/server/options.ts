/**
 * fwknopd's command-line options, with the same short and long names.
 *
 * @module
 */
import type { OptionSpec } from "../cli/getopt.ts";
import { FIREWALL_TYPES } from "../config/server_conf.ts";
import { DIGESTS } from "../spa/digest.ts";

/** A server option and its help line. */
export interface ServerOption extends OptionSpec {
  meta?: string;
  help: string;
  /** The fixed values the argument takes, for shell completion. */
  values?: readonly string[];
}

/** Every option, in `--help` order. */
export const SERVER_OPTIONS: readonly ServerOption[] = [
  {
    long: "access-file",
    short: "a",
    arg: true,
    meta: "FILE",
    help: "access.conf to use (default /etc/fwknop/access.conf).",
  },
  {
    long: "access-folder",
    arg: true,
    meta: "DIR",
    help: "Use every *.conf file in DIR as access stanzas.",
  },
  {
    long: "config-file",
    short: "c",
    arg: true,
    meta: "FILE",
    help: "fwknopd.conf to use (default /etc/fwknop/fwknopd.conf).",
  },
  {
    long: "override-config",
    short: "O",
    arg: true,
    meta: "FILE[,FILE]",
    help: "Further config files whose settings win.",
  },
  { long: "foreground", short: "f", arg: false, help: "Stay in the foreground and log to stderr." },
  { long: "syslog-enable", arg: false, help: "Also log to syslog in the foreground." },
  {
    long: "interface",
    short: "i",
    arg: true,
    meta: "IF",
    help: "Interface to listen on for incoming SPA packets (PCAP_INTF); " +
      "also a comma list (eth0,wg0) or auto (the default route's).",
  },
  {
    long: "pcap-filter",
    short: "P",
    arg: true,
    meta: "BPF",
    help: "Capture filter (PCAP_FILTER).",
  },
  {
    long: "pcap-file",
    arg: true,
    meta: "FILE",
    help: "Read packets from a pcap file instead of an interface.",
  },
  { long: "pcap-any-direction", arg: false, help: "Also look at outbound packets." },
  {
    long: "udp-server",
    short: "U",
    arg: false,
    help: "Receive SPA on a UDP socket instead of libpcap.",
  },
  { long: "packet-limit", short: "C", arg: true, meta: "N", help: "Exit after N packets." },
  {
    long: "digest-file",
    short: "d",
    arg: true,
    meta: "FILE",
    help: "Replay cache file (DIGEST_FILE).",
  },
  { long: "pid-file", short: "p", arg: true, meta: "FILE", help: "PID file (FWKNOP_PID_FILE)." },
  { long: "run-dir", short: "r", arg: true, meta: "DIR", help: "Run directory (FWKNOP_RUN_DIR)." },
  {
    long: "dump-config",
    short: "D",
    arg: false,
    help: "Print the configuration and access stanzas, then exit.",
  },
  { long: "kill", short: "K", arg: false, help: "Stop the running daemon." },
  {
    long: "restart",
    short: "R",
    arg: false,
    help: "Make the running daemon reload its configuration (SIGHUP).",
  },
  { long: "status", short: "S", arg: false, help: "Say whether a daemon is running." },
  {
    long: "test",
    short: "t",
    arg: false,
    help: "Check packets but change no firewall rule, run no command, store no digest.",
  },
  { long: "verbose", short: "v", arg: false, help: "More logging; repeat for more." },
  {
    long: "locale",
    short: "l",
    arg: true,
    meta: "LOCALE",
    help: "Accepted for compatibility (LOCALE).",
  },
  {
    long: "fw-type",
    arg: true,
    meta: "TYPE",
    values: FIREWALL_TYPES,
    help: "Firewall to drive: iptables, nftables, firewalld, ipfw or pf (FIREWALL_TYPE).",
  },
  { long: "fw-list", arg: false, help: "List the rules in fwknopd's chains, then exit." },
  { long: "fw-list-all", arg: false, help: "List the whole firewall tables, then exit." },
  { long: "fw-flush", arg: false, help: "Remove fwknopd's chains and rules, then exit." },
  {
    long: "qr",
    arg: true,
    meta: "N",
    help: "Print access stanza N's keys as a QR code for the Fwknop2 phone client, then exit.",
  },
  {
    long: "fleet-revoke",
    arg: true,
    meta: "SRC",
    help: "Fleet mode: close every grant for address SRC on all gateways, then exit.",
  },
  {
    long: "key-gen",
    short: "k",
    arg: false,
    help: "Print a new encryption key and HMAC key, then exit.",
  },
  { long: "key-gen-file", arg: true, meta: "FILE", help: "Write new keys to FILE, then exit." },
  { long: "key-len", arg: true, meta: "N", help: "Generated encryption key length (1 to 32)." },
  { long: "hmac-key-len", arg: true, meta: "N", help: "Generated HMAC key length (1 to 128)." },
  {
    long: "hmac-digest-type",
    arg: true,
    meta: "TYPE",
    values: [...DIGESTS.values()].map((d) => d.name),
    help: "HMAC type that sets the generated HMAC key length.",
  },
  { long: "gpg-home-dir", arg: true, meta: "DIR", help: "Default GPG_HOME_DIR." },
  { long: "gpg-exe", arg: true, meta: "FILE", help: "Default GPG_EXE." },
  { long: "sudo-exe", arg: true, meta: "FILE", help: "SUDO_EXE." },
  {
    long: "no-ipt-check-support",
    arg: false,
    help: "Accepted for compatibility (iptables -C is always used).",
  },
  {
    long: "rotate-digest-cache",
    arg: false,
    help: "Rename the replay cache to <file>-old and start a new one.",
  },
  {
    long: "exit-parse-config",
    arg: false,
    help: "Check the configuration, print 'configuration OK', exit.",
  },
  { long: "exit-parse-digest-cache", arg: false, help: "Check the replay cache file, then exit." },
  { long: "help", short: "h", arg: false, help: "Print this help and exit." },
  { long: "version", short: "V", arg: false, help: "Print the version and exit." },
  {
    long: "daemon-child",
    arg: false,
    hidden: true,
    help: "Internal: the detached daemon process.",
  },
];
