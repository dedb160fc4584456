/**
 * The runtime seam: the only file that tells Deno from Node for process-level
 * things (arguments, environment, terminal, files, output, exit). Under Deno
 * it uses the `Deno` namespace directly, which starts much faster than the
 * `node:` compatibility modules; under Node those modules are loaded here.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
const DenoNs: any = (globalThis as any).Deno;

/** Whether we run under Deno. */
export const isDeno: boolean = typeof DenoNs?.version?.deno === "string";

/** Node's modules, loaded only when not under Deno (the file seam, files.ts, uses them too). */
// deno-lint-ignore no-explicit-any
export const node: { fs: any; os: any; process: any } | undefined = isDeno ? undefined : {
  fs: await import("node:fs"),
  os: await import("node:os"),
  process: (await import("node:process")).default,
};

const enc = new TextEncoder();

/**
 * Under Deno, whether a permission is missing (`{ name: "net" }`, ...); always
 * false under Node, which has no permission model here.
 */
export function lacksPermission(desc: { name: string; [k: string]: unknown }): boolean {
  return isDeno && DenoNs.permissions.querySync(desc).state !== "granted";
}

/** Whether an error is Deno's refusal for a missing permission. */
export function isPermissionError(e: unknown): e is Error {
  return e instanceof Error && (e.name === "NotCapable" || e.name === "PermissionDenied");
}

/** Command-line arguments without the runtime and script. */
export function args(): string[] {
  return isDeno ? [...DenoNs.args] : node!.process.argv.slice(2);
}

/** Sets the exit code the process ends with. */
export function setExitCode(code: number): void {
  if (isDeno) DenoNs.exitCode = code;
  else node!.process.exitCode = code;
}

/**
 * The exit status of a program whose reader went away (`| head`): what the
 * shell shows for one killed by SIGPIPE (128 + 13), as the stock tools are.
 * Deno and Node ignore SIGPIPE and raise EPIPE instead.
 */
const EPIPE_EXIT = 141;

// Node reports EPIPE on stdout as an 'error' event, later than the write.
node?.process.stdout.on("error", (e: { code?: string }) => {
  if (e.code !== "EPIPE") throw e;
  node!.process.exit(EPIPE_EXIT);
});

/**
 * Writes text to standard output. When the reader has closed the pipe, the
 * process ends at once with status 141, quietly, as a C program killed by
 * SIGPIPE would: nothing more can be shown, and a stack would only be noise.
 */
export function writeOut(text: string): void {
  if (!isDeno) return void node!.process.stdout.write(text);
  try {
    writeAllSync(DenoNs.stdout, text);
  } catch (e) {
    if (e instanceof DenoNs.errors.BrokenPipe) DenoNs.exit(EPIPE_EXIT);
    throw e;
  }
}

/** Writes text to standard error. */
export function writeErr(text: string): void {
  if (isDeno) writeAllSync(DenoNs.stderr, text);
  else node!.process.stderr.write(text);
}

/** Reused for short writes (the daemon's log lines), so they allocate nothing. */
const WRITE_SCRATCH = new Uint8Array(16384);

/** Writes all of `text`: `writeSync` may write only part of a buffer to a pipe. */
function writeAllSync(w: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes: Uint8Array;
  if (text.length * 3 <= WRITE_SCRATCH.length) {
    bytes = WRITE_SCRATCH.subarray(0, enc.encodeInto(text, WRITE_SCRATCH).written);
  } else bytes = enc.encode(text);
  for (let off = 0; off < bytes.length;) off += w.writeSync(bytes.subarray(off));
}

/** Reads an environment variable; `undefined` when unset or not permitted. */
export function env(name: string): string | undefined {
  try {
    return isDeno ? DenoNs.env.get(name) : node!.process.env[name];
  } catch {
    return undefined;
  }
}

/**
 * Whether Deno refuses to read an environment variable (a missing
 * `--allow-env`), as opposed to the variable being unset. Always `false`
 * under Node.
 */
export function envDenied(name: string): boolean {
  if (!isDeno) return false;
  try {
    return DenoNs.permissions.querySync({ name: "env", variable: name }).state !== "granted";
  } catch {
    return false;
  }
}

/**
 * What the login-name lookup lacks under Deno, when it found no name: the
 * permission to read LOGNAME/USER (when denied), or to read the passwd
 * entry of our uid (`--allow-sys=uid` and `--allow-read=/etc/passwd`).
 *
 * @returns The missing flags as one alternative text, or `undefined` when
 *   nothing is missing (the system truly has no name for us).
 */
export function loginNameMissing(): string | undefined {
  if (!isDeno) return undefined;
  const q = (d: object) => DenoNs.permissions.querySync(d).state === "granted";
  if (q({ name: "sys", kind: "uid" }) && q({ name: "read", path: "/etc/passwd" })) return undefined;
  const byUid = "--allow-sys=uid with --allow-read=/etc/passwd";
  return envDenied("LOGNAME") && envDenied("USER")
    ? `--allow-env=LOGNAME,USER or ${byUid}`
    : `${byUid} (LOGNAME and USER are not set)`;
}

/** The user's home directory, or `undefined` when it cannot be found. */
export function homeDir(): string | undefined {
  const h = env("HOME");
  if (h !== undefined && h !== "") return h;
  return node?.os.homedir();
}

/** The login name as fwknop picks it: LOGNAME, then USER, then the passwd entry of our uid. */
export function loginName(): string | undefined {
  const fromEnv = env("LOGNAME") || env("USER");
  if (fromEnv) return fromEnv;
  if (node !== undefined) return node.os.userInfo().username;
  try {
    const id = String(uid());
    const line = (DenoNs.readTextFileSync("/etc/passwd") as string).split("\n")
      .find((l) => l.split(":")[2] === id);
    return line?.split(":")[0] || undefined;
  } catch {
    return undefined;
  }
}

/** The effective user id, or `undefined` where the platform has none. */
export function uid(): number | undefined {
  return isDeno ? DenoNs.uid?.() ?? undefined : node!.process.getuid?.();
}

/** Whether standard input is a terminal. */
export function stdinIsTerminal(): boolean {
  return isDeno ? DenoNs.stdin.isTerminal() : Boolean(node!.process.stdin.isTTY);
}

/** Reads all of a file descriptor (0 for standard input) as text. */
export function readFd(fd: number): string {
  if (!isDeno) return node!.fs.readFileSync(fd, "utf8");
  if (fd === 0) {
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = DenoNs.stdin.readSync(buf);
      if (n === null || n === 0) break;
      chunks.push(buf.slice(0, n));
    }
    return new TextDecoder().decode(concat(chunks));
  }
  return DenoNs.readTextFileSync(`/proc/self/fd/${fd}`);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Writes (or appends to) a text file, creating it with `mode`. With
 * `createNew` an existing file is never touched (the write fails instead).
 */
export function writeTextFile(
  path: string,
  text: string,
  opts: { mode?: number; append?: boolean; createNew?: boolean } = {},
): void {
  if (isDeno) {
    DenoNs.writeTextFileSync(path, text, {
      mode: opts.mode,
      append: opts.append ?? false,
      createNew: opts.createNew ?? false,
    });
  } else {
    const flag = opts.createNew ? "wx" : opts.append ? "a" : "w";
    node!.fs.writeFileSync(path, text, { mode: opts.mode, flag });
  }
}

/** Whether an error says the file does not exist (and nothing else, such as a denied permission). */
export function isNotFound(e: unknown): boolean {
  if (isDeno && e instanceof DenoNs.errors.NotFound) return true;
  return (e as { code?: string } | null)?.code === "ENOENT";
}

/** The permission bits of a file, or `undefined` when it does not exist. */
export function fileMode(path: string): number | undefined {
  try {
    return (isDeno ? DenoNs.statSync(path).mode : node!.fs.statSync(path).mode) ?? undefined;
  } catch (e) {
    // Only "not there" is undefined: a denied permission must never pass for a missing file.
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Sets a file's permission bits. */
export function chmod(path: string, mode: number): void {
  if (isDeno) DenoNs.chmodSync(path, mode);
  else node!.fs.chmodSync(path, mode);
}

/** Renames a file (atomically on one file system). */
export function rename(from: string, to: string): void {
  if (isDeno) DenoNs.renameSync(from, to);
  else node!.fs.renameSync(from, to);
}

function setRaw(on: boolean): void {
  if (isDeno) DenoNs.stdin.setRaw(on);
  else node!.process.stdin.setRawMode?.(on);
}

function readByte(buf: Uint8Array): number | null {
  return isDeno ? DenoNs.stdin.readSync(buf) : node!.fs.readSync(0, buf, 0, 1, null);
}

/** Ctrl-C typed at a prompt (the terminal was in raw mode, so no SIGINT came). */
export class Interrupted extends Error {
  constructor() {
    super("Interrupted");
    this.name = "Interrupted";
  }
}

/**
 * Asks for a secret on the terminal without echoing it.
 *
 * @param prompt The prompt, written to standard error.
 * @returns The line typed, without its end.
 * @throws {Interrupted} when Ctrl-C is typed.
 */
export function readSecret(prompt: string): string {
  writeErr(prompt);
  setRaw(true);
  const bytes: number[] = [];
  try {
    const buf = new Uint8Array(1);
    for (;;) {
      const n = readByte(buf);
      if (n === null || n === 0) break;
      const b = buf[0]!;
      if (b === 3) throw new Interrupted();
      if (b === 13 || b === 10 || b === 4) break;
      if (b === 127 || b === 8) bytes.pop();
      else bytes.push(b);
    }
  } finally {
    setRaw(false);
    writeErr("\n");
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
