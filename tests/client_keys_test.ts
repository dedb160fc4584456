/**
 * Key sources and external-IP resolution of the client: -G key files,
 * --stdin, --fd, and -R against a local HTTP server.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runOurs } from "./client_run.ts";
import { parseFieldDump } from "./vectors.ts";
import { decodeSpa } from "../lib/spa/packet.ts";

const enc = new TextEncoder();
const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const home = await Deno.makeTempDir({ prefix: "fwknop-ts-keys-" });
const BASE = [
  "-A",
  "tcp/22",
  "-a",
  "1.2.3.4",
  "-D",
  "srv.example",
  "-T",
  "--no-rc-file",
  "--no-save-args",
];

function decodesWith(out: string, key: string, hmac?: string): boolean {
  const wire = parseFieldDump(out)["Final SPA Data"]!;
  return decodeSpa(wire, {
    key: enc.encode(key),
    ...(hmac === undefined ? {} : { hmacKey: enc.encode(hmac) }),
  }).ok;
}

Deno.test("client: -G and --get-hmac-key read 'HOST: key' lines, last match wins", async () => {
  await Deno.writeTextFile(
    `${home}/keys`,
    "other.example: nope\nsrv.example: first\nsrv.example: the key\n",
  );
  await Deno.writeTextFile(`${home}/hkeys`, "srv.example: hmac key\n");
  const r = await runOurs([...BASE, "-G", `${home}/keys`, "--get-hmac-key", `${home}/hkeys`], home);
  assertEquals(r.code, 0, r.err);
  assert(decodesWith(r.out, "the key", "hmac key"));
  const miss = await runOurs([
    ...BASE.map((a) => a === "srv.example" ? "nokey.example" : a),
    "-G",
    `${home}/keys`,
  ], home);
  assertEquals(miss.code, 2);
  assertEquals(miss.err, `No key for 'nokey.example' in key file '${home}/keys'\n`);
});

Deno.test("client: --stdin and --fd read the key; no key and no terminal is a clear error", async () => {
  const run = async (args: string[], input: string) => {
    const p = new Deno.Command("deno", {
      args: ["run", "-A", CLIENT, ...BASE, ...args],
      env: { HOME: home },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = p.stdin.getWriter();
    await w.write(enc.encode(input));
    await w.close();
    const o = await p.output();
    return {
      code: o.code,
      out: new TextDecoder().decode(o.stdout),
      err: new TextDecoder().decode(o.stderr),
    };
  };
  const s = await run(["--stdin"], "piped key\n");
  assertEquals(s.code, 0, s.err);
  assert(decodesWith(s.out, "piped key"));
  const f = await run(["--fd", "0"], "fd key\n");
  assertEquals(f.code, 0, f.err);
  assert(decodesWith(f.out, "fd key"));
  const none = await run([], "");
  assertEquals(none.code, 2);
  assertMatch(none.err, /^No encryption key given and no terminal to ask on: use --key-rijndael/);
});

Deno.test("client: -R learns the allow IP from a resolver URL (local server)", async () => {
  const ac = new AbortController();
  let userAgent = "";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    (req) => {
      userAgent = req.headers.get("user-agent") ?? "";
      return new Response("203.0.113.9\nsome other text\n");
    },
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}/myip`;
    const args = [
      "-A",
      "tcp/22",
      "-D",
      "srv.example",
      "-T",
      "--no-rc-file",
      "--no-save-args",
      "--key-rijndael",
      "k",
    ];
    const r = await runOurs([...args, "--resolve-url", url], home);
    assertEquals(r.code, 0, r.err);
    assertEquals(parseFieldDump(r.out)["Message String"], "203.0.113.9,tcp/22");
    assertEquals(userAgent, "Fwknop/2.6.10");
    const h = await runOurs([
      ...args,
      "-R",
      "--resolve-http-only",
      "--resolve-url",
      url.replace("http:", "https:"),
      "-u",
      "Probe/1",
    ], home);
    assertEquals(h.code, 0, h.err);
    assertEquals(userAgent, "Probe/1");
    const bad = await runOurs([
      ...args,
      "--resolve-url",
      `http://127.0.0.1:${server.addr.port}/`.replace(/\d+\/$/, "1/"),
    ], home);
    assertEquals(bad.code, 1);
    assertMatch(bad.err, /^Cannot resolve the external IP from 'http:\/\/127\.0\.0\.1:1\/': /);
  } finally {
    ac.abort();
    await server.finished;
  }
});

/** The client under `script` (a terminal), once its key prompt is up. */
interface AtPrompt {
  /** Writes to the terminal and closes it. */
  type(text: string): Promise<void>;
  /** The exit code and all the terminal printed. */
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * Starts `cmd` under `script` and waits (60 s at most) until the key prompt
 * is printed, instead of a fixed sleep a slow deno start-up can outlast.
 */
async function atPrompt(cmd: string): Promise<AtPrompt> {
  const p = new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const dec = new TextDecoder();
  const reader = p.stdout.getReader();
  const stderr = new Response(p.stderr).text();
  const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
  let stdout = "";
  try {
    while (!stdout.includes("Enter encryption key: ")) {
      const r = await reader.read();
      if (r.done) throw new Error(`no key prompt came:\n${stdout}\n${await stderr}`);
      stdout += dec.decode(r.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
  const rest = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      stdout += dec.decode(r.value, { stream: true });
    }
  })();
  const w = p.stdin.getWriter();
  return {
    async type(text) {
      // The prompt is written just before the terminal goes raw, in the same
      // synchronous step: a moment's grace for that step, then type.
      await new Promise((r) => setTimeout(r, 300));
      await w.write(enc.encode(text));
      await w.close();
    },
    done: (async () => {
      const st = await p.status;
      await rest;
      return { code: st.code, stdout, stderr: await stderr };
    })(),
  };
}

Deno.test("client: with no key given it asks on the terminal without echo", async () => {
  const { haveCommand, skip } = await import("./env.ts");
  if (!(await haveCommand("script", ["--version"]))) {
    return skip("script is not installed (Debian package bsdutils)");
  }
  const pkt = `${home}/pty-packet.txt`;
  const cmd =
    `deno run -A ${CLIENT} -A tcp/22 -a 1.2.3.4 -D srv.example -T --no-rc-file --no-save-args -B ${pkt}`;
  const term = await atPrompt(cmd);
  await term.type("typed secret\r");
  const o = await term.done;
  const out = o.stdout;
  assertMatch(out, /Enter encryption key: /);
  assert(!out.includes("typed secret"), "the key was echoed");
  const wire = (await Deno.readTextFile(pkt)).trim();
  assert(decodeSpa(wire, { key: enc.encode("typed secret") }).ok, "the packet uses the typed key");
});

Deno.test("client: Ctrl-C at the key prompt exits quietly with status 130", async () => {
  const { haveCommand, skip } = await import("./env.ts");
  if (!(await haveCommand("script", ["--version"]))) {
    return skip("script is not installed (Debian package bsdutils)");
  }
  const cmd =
    `deno run -A ${CLIENT} -A tcp/22 -a 1.2.3.4 -D srv.example -T --no-rc-file --no-save-args`;
  const term = await atPrompt(cmd);
  await term.type("half a secr\x03");
  const o = await term.done;
  const out = o.stdout + o.stderr;
  assertMatch(out, /Enter encryption key: /);
  assertEquals(o.code, 130, out);
  assert(!/Uncaught|Error|at /.test(out), `not quiet: ${out}`);
  assert(!out.includes("half a secr"), "the key was echoed");
});
