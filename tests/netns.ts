/**
 * Network namespaces for end-to-end tests: test hosts joined by veth pairs,
 * addresses from the TEST-NET ranges, never routed anywhere else. Every
 * command is an argv array.
 *
 * @module
 */

const dec = new TextDecoder();
let counter = 0;

/** Runs a command, returning its exit code and output. */
export async function sh(
  cmd: string[],
  timeoutMs = 30_000,
): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/** Runs a command and fails with its output when it exits non-zero. */
export async function must(cmd: string[]): Promise<string> {
  const r = await sh(cmd);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")} exited ${r.code}: ${r.out}`);
  return r.out;
}

/** A background process whose output is collected. */
export class Background {
  #child: Deno.ChildProcess;
  #text = "";
  #done: Promise<void>;

  constructor(cmd: string[]) {
    this.#child = new Deno.Command(cmd[0]!, {
      args: cmd.slice(1),
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    })
      .spawn();
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s) this.#text += dec.decode(chunk);
    };
    this.#done = Promise.all([pump(this.#child.stdout), pump(this.#child.stderr)]).then(() => {});
  }

  /** The process's end (its exit status). */
  get exited(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }

  /** Everything printed so far. */
  get output(): string {
    return this.#text;
  }

  /** Waits until the output matches, or fails after `timeoutMs`. */
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.#text)) {
      if (Date.now() > end) {
        throw new Error(`Timed out waiting for ${re}; output so far:\n${this.#text}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The process's id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Sends a signal and waits for the process to end. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    try {
      this.#child.kill(signal);
    } catch {
      // already gone
    }
    await this.#child.status;
    await this.#done;
  }
}

/** A network namespace made by the test. */
export class Netns {
  readonly name: string;
  private constructor(name: string) {
    this.name = name;
  }

  /** Creates a namespace with a unique name and its loopback up. */
  static async create(role: string): Promise<Netns> {
    const name = `fkts-${role}-${Deno.pid}-${counter++}`;
    await must(["ip", "netns", "add", name]);
    const ns = new Netns(name);
    await ns.must(["ip", "link", "set", "lo", "up"]);
    return ns;
  }

  /** argv prefix that runs a command inside. */
  wrap(cmd: string[]): string[] {
    return ["ip", "netns", "exec", this.name, ...cmd];
  }

  /** Runs a command inside. */
  sh(cmd: string[], timeoutMs?: number): Promise<{ code: number; out: string }> {
    return sh(this.wrap(cmd), timeoutMs);
  }

  /** Runs a command inside and fails on a non-zero exit. */
  must(cmd: string[]): Promise<string> {
    return must(this.wrap(cmd));
  }

  /** Starts a background process inside. */
  spawn(cmd: string[]): Background {
    return new Background(this.wrap(cmd));
  }

  /** Whether a TCP connection to ip:port succeeds within `timeoutMs`. */
  async tcpOpen(ip: string, port: number, timeoutMs = 700): Promise<boolean> {
    const secs = (timeoutMs / 1000).toFixed(2);
    const r = await this.sh(["timeout", secs, "bash", "-c", `exec 3<>/dev/tcp/${ip}/${port}`]);
    return r.code === 0;
  }

  /** Removes the namespace (its veth ends go with it). */
  async delete(): Promise<void> {
    await sh(["ip", "netns", "delete", this.name]);
  }
}

/** Joins two namespaces with a veth pair and gives each end an address (CIDR). */
export async function link(
  a: Netns,
  aAddr: string,
  b: Netns,
  bAddr: string,
  names?: { aIf: string; bIf: string },
): Promise<{ aIf: string; bIf: string }> {
  const id = `${Deno.pid % 10000}${counter++}`;
  // Fixed names when a test takes an interface away and makes it again.
  const { aIf, bIf } = names ?? { aIf: `va${id}`, bIf: `vb${id}` };
  await must(["ip", "link", "add", aIf, "type", "veth", "peer", "name", bIf]);
  await must(["ip", "link", "set", aIf, "netns", a.name]);
  await must(["ip", "link", "set", bIf, "netns", b.name]);
  await a.must(["ip", "addr", "add", aAddr, "dev", aIf]);
  await b.must(["ip", "addr", "add", bAddr, "dev", bIf]);
  await a.must(["ip", "link", "set", aIf, "up"]);
  await b.must(["ip", "link", "set", bIf, "up"]);
  return { aIf, bIf };
}

/** Polls `fn` until it returns `want` or the time runs out; returns the last value. */
export async function poll(
  fn: () => Promise<boolean>,
  want: boolean,
  timeoutMs: number,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v === want || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether namespace tests can run here, or the reason they cannot. */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (Deno.uid?.() !== 0) return "namespace tests need root";
  for (const [cmd, args] of [["ip", ["-V"]], ["iptables", ["-V"]]] as const) {
    try {
      const r = await new Deno.Command(cmd, { args: [...args], stdout: "null", stderr: "null" })
        .output();
      if (!r.success) return `${cmd} does not run`;
    } catch {
      return `${cmd} is not installed`;
    }
  }
  const probe = `fkts-probe-${Deno.pid}`;
  const r = await sh(["ip", "netns", "add", probe]);
  if (r.code !== 0) return `cannot create network namespaces: ${r.out.trim()}`;
  await sh(["ip", "netns", "delete", probe]);
  return undefined;
}
