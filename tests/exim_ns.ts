/**
 * A real mail server for the alert tests: Debian's exim4 in a network
 * namespace of its own, with its own configuration, spool and log in a
 * temporary directory, delivering every mail for `fkts.test` to one
 * maildir, and offering STARTTLS with a test CA's certificate. The host
 * reaches it over a veth pair (10.213.N.0/30).
 *
 * @module
 */
import { type Background, must, Netns, sh } from "./netns.ts";
import type { TestCa } from "./alerts_ca.ts";

/** The exim binary Debian installs. */
export const EXIM = "/usr/sbin/exim4";

/** A running exim in its namespace. */
export interface EximNs {
  ns: Netns;
  /** The address exim listens on (port 25). */
  ip: string;
  /** The extra subjectAltName the server certificate needs. */
  dir: string;
  /** Where delivered mail lands (maildir `new/`). */
  inbox: string;
  exim: Background;
  stop(): Promise<void>;
}

/** The address pair for this test process. */
export function eximAddresses(): { host: string; mail: string } {
  const n = Deno.pid % 250;
  return { host: `10.213.${n}.1`, mail: `10.213.${n}.2` };
}

function config(dir: string, ip: string): string {
  return `primary_hostname = mail.fkts.test
domainlist local_domains = fkts.test
exim_user = Debian-exim
exim_group = Debian-exim
spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog
pid_file_path = ${dir}/exim.pid
daemon_smtp_ports = 25
local_interfaces = <; ${ip}
host_lookup =
rfc1413_hosts =
tls_advertise_hosts = *
tls_certificate = ${dir}/srv.pem
tls_privatekey = ${dir}/srv.key
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_rcpt:
  accept domains = +local_domains
  deny message = relay not permitted
begin routers
local:
  driver = accept
  domains = +local_domains
  transport = maildir
begin transports
maildir:
  driver = appendfile
  directory = ${dir}/mail/inbox
  maildir_format
  create_directory
  user = Debian-exim
  group = Debian-exim
  mode = 0644
begin retry
* * F,1m,1m
`;
}

/**
 * Starts exim in a new namespace joined to the host by a veth pair.
 *
 * @param ca The test CA (its server certificate must name the mail address).
 * @returns The running server.
 */
export async function startExim(ca: TestCa): Promise<EximNs> {
  const { host, mail } = eximAddresses();
  const ns = await Netns.create("mail");
  const hostIf = `vmh${Deno.pid % 100000}`;
  const mailIf = `vmm${Deno.pid % 100000}`;
  await must(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", mailIf]);
  await must(["ip", "link", "set", mailIf, "netns", ns.name]);
  await must(["ip", "addr", "add", `${host}/30`, "dev", hostIf]);
  await must(["ip", "link", "set", hostIf, "up"]);
  await ns.must(["ip", "addr", "add", `${mail}/30`, "dev", mailIf]);
  await ns.must(["ip", "link", "set", mailIf, "up"]);
  const dir = await Deno.makeTempDir({ prefix: "fkts-exim-" });
  for (const d of ["spool", "log", "mail"]) await Deno.mkdir(`${dir}/${d}`);
  await Deno.writeTextFile(`${dir}/srv.pem`, ca.cert);
  await Deno.writeTextFile(`${dir}/srv.key`, ca.key);
  await Deno.writeTextFile(`${dir}/exim.conf`, config(dir, mail));
  await must([
    "chown",
    "-R",
    "Debian-exim:Debian-exim",
    `${dir}/spool`,
    `${dir}/log`,
    `${dir}/mail`,
  ]);
  await must(["chown", "Debian-exim", `${dir}/srv.key`]);
  await Deno.chmod(dir, 0o755);
  const exim = ns.spawn([EXIM, "-C", `${dir}/exim.conf`, "-bdf", "-q30m"]);
  const stop = async () => {
    await exim.stop();
    await sh(["ip", "link", "delete", hostIf]);
    await ns.delete();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  for (let i = 0; i < 50 && !(await ns.tcpOpen(mail, 25)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ns, ip: mail, dir, inbox: `${dir}/mail/inbox/new`, exim, stop };
}

/** The mails delivered so far, oldest first (by file name, which starts with the time). */
export async function deliveredMail(inbox: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(inbox)) names.push(e.name);
  } catch {
    return [];
  }
  names.sort();
  return await Promise.all(names.map((n) => Deno.readTextFile(`${inbox}/${n}`)));
}
