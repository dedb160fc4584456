/**
 * The file seam for reading and inspecting files by path: what the
 * configuration loader, the pid file and the run-directory checks need.
 * Under Deno it uses the `Deno` namespace, because Deno's `node:fs` pulls in
 * its whole Node compatibility layer (about 7.5 MiB resident in an idle
 * process, measured); under Node it uses the `node:fs` and `node:os` that
 * the runtime seam (runtime.ts) loads. Errors keep the runtime's own types and carry the errno
 * name as `code` under both (`ENOENT`, `EACCES`, ...), so a denied
 * permission is never taken for a missing file.
 *
 * @module
 */

import * as statxSeam from "./_stat_deno.ts";
import { isDeno, node } from "./runtime.ts";

// deno-lint-ignore no-explicit-any
const DenoNs: any = (globalThis as any).Deno;

/**
 * Deno's errors say `No such file or directory (os error 2): stat '/x'`;
 * give them the wording Node (and Deno's `node:fs`) uses, `ENOENT: no such
 * file or directory, stat '/x'`, so messages read the same under both
 * runtimes. The error object (its class and `code`) is kept.
 */
function nodeWording(e: unknown): unknown {
  const err = e as { code?: string; message?: string };
  const m = /^(.*) \(os error \d+\): (\w+) (.*)$/.exec(err?.message ?? "");
  if (m === null || typeof err.code !== "string") return e;
  const what = m[1]!.charAt(0).toLowerCase() + m[1]!.slice(1);
  err.message = `${err.code}: ${what}, ${m[2] === "readfile" ? "open" : m[2]} ${m[3]}`;
  return e;
}

/** Runs a Deno file call, giving its error Node's wording. */
function viaDeno<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw nodeWording(e);
  }
}

/** What the callers ask of a file's status (`stat`/`lstat`). */
export interface FileFacts {
  /** Permission bits with the file type bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  dev: number;
  ino: number;
  nlink: number;
  isFile: boolean;
  isDirectory: boolean;
  /** A symbolic link (from `lstat` only). */
  isSymlink: boolean;
}

// deno-lint-ignore no-explicit-any
function fromDeno(s: any): FileFacts {
  return {
    mode: s.mode ?? 0,
    uid: s.uid ?? 0,
    gid: s.gid ?? 0,
    size: s.size,
    dev: s.dev ?? 0,
    ino: s.ino ?? 0,
    nlink: s.nlink ?? 1,
    isFile: s.isFile,
    isDirectory: s.isDirectory,
    isSymlink: s.isSymlink,
  };
}

// deno-lint-ignore no-explicit-any
function fromNode(s: any): FileFacts {
  return {
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    dev: s.dev,
    ino: s.ino,
    nlink: s.nlink,
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymlink: s.isSymbolicLink(),
  };
}

/** A file's status, following a symbolic link. */
export function stat(path: string): FileFacts {
  return isDeno
    ? fromDeno(viaDeno(() => DenoNs.statSync(path)))
    : fromNode(node!.fs.statSync(path));
}

/** A file's status, of a symbolic link itself when it is one. */
export function lstat(path: string): FileFacts {
  return isDeno
    ? fromDeno(viaDeno(() => DenoNs.lstatSync(path)))
    : fromNode(node!.fs.lstatSync(path));
}

/**
 * Whether a path can be seen (following links), as `node:fs`'s `existsSync`
 * answers: `false` for a missing path and for one this process may not
 * look at. A caller that must tell those apart uses `stat` and the error.
 */
export function exists(path: string): boolean {
  try {
    stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A file's bytes. */
export function readBytes(path: string): Uint8Array {
  return isDeno
    ? viaDeno(() => DenoNs.readFileSync(path))
    : new Uint8Array(node!.fs.readFileSync(path));
}

/** A file's text as UTF-8. */
export function readText(path: string): string {
  return isDeno
    ? viaDeno(() => DenoNs.readTextFileSync(path))
    : node!.fs.readFileSync(path, "utf8");
}

/** A file's text with each byte one character (ISO 8859-1), whatever it holds. */
export function readLatin1(path: string): string {
  const bytes = readBytes(path);
  let out = "";
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return out;
}

/** The names in a directory (no `.` or `..`), in the order the system gives. */
export function readDirNames(path: string): string[] {
  if (!isDeno) return node!.fs.readdirSync(path);
  const names: string[] = [];
  viaDeno(() => {
    for (const e of DenoNs.readDirSync(path)) names.push(e.name);
  });
  return names;
}

/** Makes a directory (and its parents with `recursive`). */
export function makeDir(path: string, opts: { recursive?: boolean; mode?: number } = {}): void {
  if (isDeno) viaDeno(() => DenoNs.mkdirSync(path, opts));
  else node!.fs.mkdirSync(path, opts);
}

/** The path with every link and `.`/`..` resolved. */
export function realPath(path: string): string {
  return isDeno ? viaDeno(() => DenoNs.realPathSync(path)) : node!.fs.realpathSync(path);
}

/** Removes a file (never a directory tree). */
export function removeFile(path: string): void {
  if (isDeno) viaDeno(() => DenoNs.removeSync(path));
  else node!.fs.unlinkSync(path);
}

/** The working directory. */
export function cwd(): string {
  return isDeno ? DenoNs.cwd() : node!.process.cwd();
}

/** The host's name (`--allow-sys=hostname` under Deno). */
export function hostname(): string {
  return isDeno ? DenoNs.hostname() : node!.os.hostname();
}

/** `makedev(3)`: a device number from its major and minor, as `st_dev` holds it. */
export function makedev(major: number, minor: number): number {
  const M = BigInt(major), m = BigInt(minor);
  return Number(
    ((M & 0xfffff000n) << 32n) | ((M & 0xfffn) << 8n) | ((m & 0xffffff00n) << 12n) | (m & 0xffn),
  );
}

/**
 * Standard error's device and inode, as `fstat(2)` gives them: under Deno
 * through libc's statx over FFI (no path permission is needed), else by the
 * path `/proc/self/fd/2` when it may be read; under Node by `fstat`.
 *
 * @returns The two numbers, or `undefined` when this process may not look.
 */
export function stderrIdentity(): { dev: number; ino: number } | undefined {
  if (!isDeno) {
    const s = node!.fs.fstatSync(2);
    return { dev: s.dev, ino: s.ino };
  }
  if (DenoNs.permissions.querySync({ name: "ffi" }).state === "granted" && statxSeam.available()) {
    const f = statxSeam.statFd(2);
    return { dev: makedev(Number(f.dev >> 32n), Number(f.dev & 0xffffffffn)), ino: Number(f.ino) };
  }
  try {
    const s = DenoNs.statSync("/proc/self/fd/2");
    return { dev: s.dev, ino: s.ino };
  } catch {
    return undefined;
  }
}
