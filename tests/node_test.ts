/**
 * The npm package under Node: `scripts/build_npm.ts` builds it into a
 * temporary directory, then Node runs the client, the daemon in UDP-server
 * test mode and the library, and their packets decode with ours.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { haveCommand, skip } from "./env.ts";
import { link, Netns, netnsUnavailable } from "./netns.ts";
import { fileArgs } from "./fwknopd.ts";
import { freeUdpPort } from "./free_port.ts";
import ts from "npm:typescript@5.9.3";
import { decodeSpa } from "../lib/spa/packet.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const haveNode = await haveCommand("node");
if (!haveNode) skip("Node package tests: node is not installed");

const text = (b: Uint8Array) => new TextDecoder().decode(b);
async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name === "node_modules") continue;
    if (e.isDirectory) yield* walk(`${dir}/${e.name}`);
    else yield `${dir}/${e.name}`;
  }
}
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

async function node(
  cwd: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command("node", {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { HOME: cwd },
  })
    .output();
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

const DAEMON = "bin/fwknopd-ts.js";
const CLIENT = "bin/fwknop-ts.js";

/** The client's arguments for tcp/22 on `allow` through `dest`, with the test keys. */
const clientArgs = (allow: string, dest: string, ...extra: string[]) => [
  "-A",
  "tcp/22",
  "-a",
  allow,
  "-D",
  dest,
  ...extra,
  ...KEYS,
];

/** A directory for one daemon run with its fwknopd.conf and access.conf; its file arguments. */
async function daemonFiles(dir: string, name: string, conf: string): Promise<string[]> {
  const d = `${dir}/${name}`;
  await Deno.mkdir(d, { recursive: true });
  await Deno.writeTextFile(`${d}/fwknopd.conf`, `FWKNOP_RUN_DIR ${d};\n${conf}`, { mode: 0o600 });
  await Deno.writeTextFile(
    `${d}/access.conf`,
    "SOURCE ANY\nKEY fwknoptest\nHMAC_KEY fwknophmactest\n",
    {
      mode: 0o600,
    },
  );
  return fileArgs(d);
}

const KEYS = [
  "--key-rijndael",
  "fwknoptest",
  "--key-hmac",
  "fwknophmactest",
  "--no-rc-file",
  "--no-save-args",
];

Deno.test({
  name: "npm package: Node runs the client, the daemon and the library",
  ignore: !haveNode,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "fwknop-npm-" });
    const build = await new Deno.Command("deno", {
      args: ["run", `--lock=${ROOT}deno.dev.lock`, "-A", `${ROOT}scripts/build_npm.ts`, dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(build.code, 0, text(build.stderr));
    const pkg = JSON.parse(await Deno.readTextFile(`${dir}/package.json`));
    assertEquals(pkg.type, "module");
    assertEquals(Object.keys(pkg.bin).sort(), ["fwknop-ts", "fwknopd-ts"]);

    await t.step("client -T builds a packet our decoder accepts", async () => {
      const r = await node(dir, [
        CLIENT,
        ...clientArgs("192.0.2.7", "127.0.0.1", "-T"),
      ]);
      assertEquals(r.code, 0, r.err);
      const wire = /Final SPA Data: (\S+)/.exec(r.out)?.[1];
      assert(wire !== undefined, r.out);
      const enc = new TextEncoder();
      const d = decodeSpa(wire, {
        key: enc.encode("fwknoptest"),
        hmacKey: enc.encode("fwknophmactest"),
      });
      assert(d.ok, JSON.stringify(d));
      assertEquals(d.fields.message, "192.0.2.7,tcp/22");
    });

    await t.step(
      "the daemon in UDP-server test mode accepts the Node client's packet",
      async () => {
        const port = await freeUdpPort();
        const files = await daemonFiles(
          dir,
          "udp",
          `ENABLE_UDP_SERVER Y;\nUDPSERV_PORT ${port};\n`,
        );
        const daemon = new Deno.Command("node", {
          args: [DAEMON, "-f", "-t", "-C", "1", ...files],
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        // Send until the daemon, once listening, takes one (it exits after -C 1).
        const status = daemon.status;
        let done = false;
        status.then(() => done = true);
        for (let i = 0; i < 50 && !done; i++) {
          await new Promise((r) => setTimeout(r, 200));
          if (done) break;
          const c = await node(dir, [
            CLIENT,
            ...clientArgs("192.0.2.7", "127.0.0.1", "-p", `${port}`),
          ]);
          assertEquals(c.code, 0, c.err);
        }
        const out = await daemon.output();
        const err = text(out.stderr);
        assertEquals(out.code, 0, err);
        assertMatch(
          err,
          /\[127\.0\.0\.1\] \(stanza #1\) --test mode enabled, skipping firewall manipulation\./,
        );
        assertMatch(err, /Processed 1 packets: 1 accepted \(test mode\), 0 refused\./);
      },
    );

    await t.step("the declarations type-check a TypeScript consumer", async () => {
      await Deno.writeTextFile(
        `${dir}/consumer.ts`,
        `import { decodeSpa, encodeSpa, MessageType } from "./mod.js";
const keys = { key: new TextEncoder().encode("k") };
const spa = encodeSpa({ message: "192.0.2.1,tcp/22", messageType: MessageType.ACCESS, username: "u", ...keys });
export const ok: boolean = decodeSpa(spa.wire, keys).ok;
`,
      );
      const program = ts.createProgram([`${dir}/consumer.ts`], {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noEmit: true,
        types: [],
        lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
      });
      const problems = ts.getPreEmitDiagnostics(program).map((d) =>
        `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`
      );
      assertEquals(problems, []);
      // Declarations name their neighbours as Node resolves them: `.js`, not `.ts`.
      const tsSpecifiers: string[] = [];
      for await (const f of walk(dir)) {
        if (!f.endsWith(".d.ts")) continue;
        const hits = (await Deno.readTextFile(f)).match(/from\s+"\.{1,2}\/[^"]+\.ts"/g) ?? [];
        tsSpecifiers.push(...hits.map((h) => `${f}: ${h}`));
      }
      assertEquals(tsSpecifiers, []);
    });

    await t.step("the library imports and round-trips a packet under Node", async () => {
      const script = `
        import { encodeSpa, decodeSpa, MessageType } from "./mod.js";
        const enc = new TextEncoder();
        const keys = { key: enc.encode("k1"), hmacKey: enc.encode("h1") };
        const spa = encodeSpa({ message: "192.0.2.9,udp/53", messageType: MessageType.ACCESS, username: "u", ...keys });
        const d = decodeSpa(spa.wire, keys);
        console.log(d.ok ? d.fields.message : "FAILED " + d.reason);`;
      const r = await node(dir, ["--input-type=module", "-e", script]);
      assertEquals(r.code, 0, r.err);
      assertEquals(r.out.trim(), "192.0.2.9,udp/53");
    });
    const live = await daemonFiles(dir, "live", "PCAP_INTF lo;\n");
    await t.step("the postinstall check says when cap is missing, and never fails", async () => {
      assertEquals(pkg.scripts.postinstall, "node bin/check-cap.js");
      const r = await node(dir, ["bin/check-cap.js"]);
      assertEquals(r.code, 0);
      if (!(await exists(`${dir}/node_modules/cap`))) {
        assertMatch(
          r.err,
          /optional 'cap' module .* apt-get install libpcap-dev g\+\+ make\), then run: npm rebuild cap/,
        );
      }
    });

    await t.step("pcap mode without the cap module says what to install", async () => {
      const r = await node(dir, [DAEMON, "-f", "-t", ...live]);
      assertEquals(r.code, 1, r.err);
      assertMatch(r.err, /needs the optional cap module \(npm install cap/);
    });

    await t.step(
      "libpcap through the cap module: inbound SPA opens, outbound is ignored",
      async () => {
        const why = await netnsUnavailable() ??
          (await exists("/usr/include/pcap/pcap.h")
            ? undefined
            : "libpcap-dev is not installed (the cap module builds against it)");
        if (why !== undefined) return skip(`Node pcap step: ${why}`);
        const install = await new Deno.Command("npm", {
          args: [
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            `cap@${pkg.optionalDependencies.cap}`,
          ],
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
        }).output();
        assertEquals(install.code, 0, text(install.stderr).slice(-2000));
        const file = await node(dir, [DAEMON, "-f", "-t", ...live, "--pcap-file", `${dir}/none`]);
        assertEquals(file.code, 1, file.err);
        assertMatch(file.err, /Reading a pcap file needs Deno/);
        const client = await Netns.create("nodec");
        const server = await Netns.create("nodes");
        try {
          const { bIf } = await link(client, "192.0.2.1/24", server, "192.0.2.2/24");
          const files = await daemonFiles(dir, "netns", `PCAP_INTF ${bIf};\n`);
          const daemon = server.spawn([
            "node",
            `${dir}/${DAEMON}`,
            "-f",
            "-t",
            "-C",
            "1",
            ...files,
          ]);
          await daemon.waitFor(/Starting fwknopd main event loop/);
          // The server's own packet leaves through the sniffed interface: cap has
          // no direction setting, so this checks the daemon's own outbound drop.
          await server.must([
            "node",
            `${dir}/${CLIENT}`,
            ...clientArgs("192.0.2.2", "192.0.2.1"),
          ]);
          await new Promise((r) => setTimeout(r, 1500));
          assert(!/SPA Packet from IP/.test(daemon.output), daemon.output);
          await client.must([
            "node",
            `${dir}/${CLIENT}`,
            ...clientArgs("192.0.2.1", "192.0.2.2"),
          ]);
          await daemon.waitFor(/Processed 1 packets: 1 accepted \(test mode\)/);
          assertMatch(daemon.output, /\[192\.0\.2\.1\] \(stanza #1\) --test mode enabled/);
          await daemon.stop();
        } finally {
          await client.delete();
          await server.delete();
        }
      },
    );
    await Deno.remove(dir, { recursive: true });
  },
});
