/**
 * A real firewalld inside a test namespace: its own D-Bus system bus (a
 * socket in a temporary directory, so the host's bus and firewall are
 * untouched) and its own configuration directory (iptables backend, zone
 * `public`, whose last rule rejects what no service allows).
 *
 * @module
 */
import { haveCommand } from "./env.ts";
import type { Background, Netns } from "./netns.ts";

/** A running firewalld and its bus. */
export interface Firewalld {
  /** The value for DBUS_SYSTEM_BUS_ADDRESS. */
  bus: string;
  stop(): Promise<void>;
}

/** Why firewalld cannot run here, if it cannot. */
export async function firewalldUnavailable(): Promise<string | undefined> {
  for (const [cmd, args] of [["firewalld", ["--help"]], ["dbus-daemon", ["--version"]]] as const) {
    if (!(await haveCommand(cmd, [...args]))) {
      return `${cmd} is not installed (Debian firewalld and dbus)`;
    }
  }
  return undefined;
}

const BUS_CONF = (socket: string) =>
  `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;

/**
 * Starts D-Bus and firewalld in a namespace and waits until
 * `firewall-cmd --state` says running.
 */
export async function startFirewalld(ns: Netns): Promise<Firewalld> {
  const dir = await Deno.makeTempDir({ prefix: "firewalld-ns-" });
  await Deno.mkdir(`${dir}/etc`);
  await Deno.writeTextFile(
    `${dir}/etc/firewalld.conf`,
    "DefaultZone=public\nFirewallBackend=iptables\nIPv6_rpfilter=no\nLogDenied=off\n",
  );
  const socket = `${dir}/bus`;
  const bus = `unix:path=${socket}`;
  await Deno.writeTextFile(`${dir}/bus.conf`, BUS_CONF(socket));
  const dbus = ns.spawn(["dbus-daemon", "--config-file", `${dir}/bus.conf`, "--nofork"]);
  const procs: Background[] = [dbus];
  const stop = async () => {
    for (const p of procs.reverse()) await p.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    for (let i = 0; i < 50; i++) {
      if (await Deno.stat(socket).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const fw = ns.spawn([
      "env",
      `DBUS_SYSTEM_BUS_ADDRESS=${bus}`,
      "firewalld",
      "--nofork",
      "--nopid",
      "--system-config",
      `${dir}/etc`,
      "--log-target",
      "console",
    ]);
    procs.push(fw);
    for (let i = 0; i < 100; i++) {
      const r = await ns.sh(["env", `DBUS_SYSTEM_BUS_ADDRESS=${bus}`, "firewall-cmd", "--state"]);
      if (r.code === 0 && r.out.includes("running")) return { bus, stop };
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`firewalld did not start:\n${fw.output.slice(-2000)}`);
  } catch (e) {
    await stop();
    throw e;
  }
}
