/**
 * Faults through the seam (FWKNOP_TS_FAULTS), no root needed: the daemon
 * in UDP-server mode on loopback with a fake firewall program that always
 * succeeds, so only the injected fault can fail.
 *
 * - replay-write once: the first packet is refused and the file named, the
 *   daemon stays, the next packet is granted;
 * - firewall: the grant fails and says why, the daemon stays;
 * - capture: the capture fails; with EXIT_AT_INTF_DOWN Y the daemon stops
 *   with fwknopd's line;
 * - disk full at start (root: a tmpfs): the daemon starts, names the pid
 *   file it could not write, refuses a valid packet naming the digest file,
 *   and grants the next one once space returns.
 */
import { assert, assertMatch } from "./assert.ts";
import { isRoot, report, skip } from "./env.ts";
import type { Background } from "./netns.ts";
import { startUdp, udpRig } from "./udp_rig.ts";
import { encodeSpa } from "../lib/spa/packet.ts";
import { MessageType } from "../lib/spa/message.ts";
import { createSocket } from "node:dgram";

const enc = new TextEncoder();

async function daemon(
  faults: string,
  extra = "",
): Promise<{ d: Background; port: number; dir: string }> {
  const rig = await udpRig(
    "fwknopd-faults-",
    (dir) => `FIREWALL_EXE ${dir}/iptables;\nENABLE_IPV6 N;\n${extra}`,
    "SOURCE ANY\nKEY fault-key\nHMAC_KEY fault-hmac\n",
  );
  const { dir, port } = rig;
  // A firewall program that always works: "no such rule" for -C, success otherwise.
  await Deno.writeTextFile(
    `${dir}/iptables`,
    '#!/bin/sh\ncase " $* " in *" -C "*) exit 1;; esac\nexit 0\n',
  );
  await Deno.chmod(`${dir}/iptables`, 0o755);
  const d = startUdp(rig, [`FWKNOP_TS_FAULTS=${faults}`]);
  await d.waitFor(/Starting fwknopd main event loop/, 30_000);
  return { d, port, dir };
}

async function send(port: number, allow: string): Promise<void> {
  const wire = encodeSpa({
    message: `${allow},tcp/22`,
    messageType: MessageType.ACCESS,
    username: "fault",
    key: enc.encode("fault-key"),
    hmacKey: enc.encode("fault-hmac"),
    timestamp: Math.floor(Date.now() / 1000),
  }).wire;
  const s = createSocket("udp4");
  await new Promise((r) => s.send(wire, port, "127.0.0.1", r));
  s.close();
}

Deno.test({
  name: "faults: replay store, firewall and capture fail on demand; the daemon says why",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await t.step("replay-write once: refused and named, then granted", async () => {
      const { d, port, dir } = await daemon("replay-write:1");
      try {
        await send(port, "198.51.100.1");
        await d.waitFor(
          /Cannot record the SPA digest, so the packet is refused: .*digest\.cache.*injected fault/,
          10_000,
        );
        await send(port, "198.51.100.2");
        await d.waitFor(/Added access rule to FWKNOP_INPUT for 198\.51\.100\.2/, 10_000);
        assert(!/Added access rule to FWKNOP_INPUT for 198\.51\.100\.1/.test(d.output), d.output);
      } finally {
        await d.stop();
        await Deno.remove(dir, { recursive: true });
      }
    });
    await t.step("firewall: the grant fails with the reason; the daemon goes on", async () => {
      const { d, port, dir } = await daemon("firewall");
      try {
        await send(port, "198.51.100.3");
        await d.waitFor(/injected fault: firewall/, 10_000);
        await send(port, "198.51.100.4");
        // The daemon went on: the second packet met the same fault.
        await d.waitFor(/injected fault: firewall[\s\S]*injected fault: firewall/, 10_000);
        assert(!/Uncaught/.test(d.output), d.output);
      } finally {
        await d.stop();
        await Deno.remove(dir, { recursive: true });
      }
    });
    await t.step("capture: EXIT_AT_INTF_DOWN Y stops with fwknopd's line", async () => {
      const { d, dir } = await daemon("capture");
      try {
        const st = await Promise.race([
          d.exited,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000)),
        ]);
        assert(st !== undefined && !st.success, d.output);
        assertMatch(d.output, /\[\*\] Fatal error from pcap_dispatch: injected fault: capture/);
      } finally {
        await d.stop();
        await Deno.remove(dir, { recursive: true });
      }
    });
    report("faults: replay-write, firewall and capture injected without root");
  },
});

/** Mounts a small tmpfs (root only, 0700) at `dir/full` and fills it to the last byte. */
async function fullDisk(dir: string): Promise<string | undefined> {
  const mnt = `${dir}/full`;
  await Deno.mkdir(mnt);
  const m = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", mnt],
  }).output();
  if (!m.success) return undefined;
  // dd stops with "No space left on device": the file system is then full.
  await new Deno.Command("dd", {
    args: ["if=/dev/zero", `of=${mnt}/filler`, "bs=1k"],
    stderr: "null",
  }).output();
  return mnt;
}

Deno.test({
  name: "faults: a full disk at start; the daemon starts, refuses naming the file, then recovers",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!isRoot()) return skip("mounting a tmpfs needs root");
    const rig = await udpRig(
      "fwknopd-fullstart-",
      (dir) =>
        `FIREWALL_EXE ${dir}/iptables;\nENABLE_IPV6 N;\n` +
        `DIGEST_FILE ${dir}/full/digest.cache;\nFWKNOP_PID_FILE ${dir}/full/fwknopd.pid;\n`,
      "SOURCE ANY\nKEY fault-key\nHMAC_KEY fault-hmac\n",
    );
    const { dir, port } = rig;
    await Deno.writeTextFile(
      `${dir}/iptables`,
      '#!/bin/sh\ncase " $* " in *" -C "*) exit 1;; esac\nexit 0\n',
    );
    await Deno.chmod(`${dir}/iptables`, 0o755);
    const mnt = await fullDisk(dir);
    if (mnt === undefined) {
      await Deno.remove(dir, { recursive: true });
      return skip("cannot mount a tmpfs here");
    }
    const d = startUdp(rig);
    try {
      await d.waitFor(/Starting fwknopd main event loop|No space left|exited/, 30_000);
      assertMatch(d.output, /Cannot write the pid file "[^"]+\/full\/fwknopd\.pid": No space left/);
      await d.waitFor(/Starting fwknopd main event loop/, 10_000);
      await send(port, "198.51.100.5");
      await d.waitFor(
        /Cannot record the SPA digest, so the packet is refused: .*\/full\/digest\.cache.*No space left/,
        10_000,
      );
      await Deno.remove(`${mnt}/filler`);
      await send(port, "198.51.100.6");
      await d.waitFor(/Added access rule to FWKNOP_INPUT for 198\.51\.100\.6/, 10_000);
      assert(!/for 198\.51\.100\.5/.test(d.output), d.output);
      const text = await Deno.readTextFile(`${mnt}/digest.cache`);
      assertMatch(text, /^# <digest> <proto>[^\n]*\n\S{43} 17 127\.0\.0\.1 \d+ /);
    } finally {
      await d.stop();
      await new Deno.Command("umount", { args: [mnt] }).output();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
