/**
 * File descriptors for the daemon's own files (digest cache, pid and status
 * files, replaced config files): open with exact flags, write, flush, stat,
 * rename. The seam: under Deno on Linux with `--allow-ffi` these are libc's
 * calls over FFI (`_fd_deno.ts`), so the daemon never loads `node:fs` (Deno's
 * Node layer costs several MiB resident, #22); elsewhere (Node, Deno on
 * another system or without `--allow-ffi`) they are `node:fs`'s
 * (`_fd_node.ts`, loaded only then). Both backends give the same answers:
 * descriptors are plain numbers, and a failed call throws an `Error` whose
 * `code` is the errno name (`ENOENT`, `EACCES`, `ELOOP`, `ENOSPC`, ...),
 * so callers test `code` whatever the runtime. Under Deno, Deno's
 * permissions are checked before libc is asked, as `node:fs` would.
 *
 * @module
 */
import { isDeno, lacksPermission } from "./runtime.ts";
import { available } from "./_stat_deno.ts";
import { denoFdOps } from "./_fd_deno.ts";

/** How a file is opened; every descriptor is close-on-exec. */
export interface OpenHow {
  /** What the descriptor may do. */
  access: "read" | "write" | "readWrite";
  /** Every write goes to the end (`O_APPEND`). */
  append?: boolean;
  /** Create the file when missing (`O_CREAT`). */
  create?: boolean;
  /** With `create`: fail with `EEXIST` when the name exists, even as a link (`O_EXCL`). */
  exclusive?: boolean;
  /** Fail with `ELOOP` when the last component is a symbolic link (`O_NOFOLLOW`). */
  noFollow?: boolean;
  /** Never block on open (`O_NONBLOCK`: a FIFO planted at the name). */
  nonBlock?: boolean;
}

/** What stat tells about one file. */
export interface FdStat {
  dev: number | bigint;
  ino: number | bigint;
  uid: number;
  gid: number;
  nlink: number;
  /** Permission bits with the file type bits. */
  mode: number;
  size: number;
  isFile: boolean;
  isLink: boolean;
}

/** One backend's calls; each throws an `Error` with the errno name as `code`. */
export interface FdOps {
  open(path: string, how: OpenHow, mode: number): number;
  close(fd: number): void;
  /** One write(2): the number of bytes written. */
  write(fd: number, data: Uint8Array): number;
  /** One pread(2) at `position`: the number of bytes read, 0 at the end. */
  pread(fd: number, buf: Uint8Array, position: number): number;
  fsync(fd: number): void;
  fdatasync(fd: number): void;
  fchmod(fd: number, mode: number): void;
  fchown(fd: number, uid: number, gid: number): void;
  fstat(fd: number): FdStat;
  /** The path's own entry: a link is not followed. */
  lstat(path: string): FdStat;
  stat(path: string): FdStat;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  realpath(path: string): string;
}

/** Which backend serves this process. */
export const FD_BACKEND: "libc" | "node:fs" =
  isDeno && available() && !lacksPermission({ name: "ffi" }) ? "libc" : "node:fs";

/** The calls of this process's backend. */
export const fd: FdOps = FD_BACKEND === "libc"
  ? denoFdOps
  : (await import("./_fd_node.ts")).nodeFdOps;

/**
 * Writes all of `data`, however many write(2) calls it takes.
 *
 * @param file The descriptor.
 * @param data The bytes.
 * @throws {Error} with `code` (`ENOSPC`, ...) when a write fails; part may be written.
 */
export function writeAll(file: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += fd.write(file, data.subarray(done));
}

/**
 * Reads a file from its start to its end, wherever its offset is.
 *
 * @param file The descriptor, open for reading.
 * @returns The bytes.
 * @throws {Error} with `code` when a read fails.
 */
export function readAll(file: number): Uint8Array {
  let buf = new Uint8Array(Math.max(fd.fstat(file).size, 4096) + 1);
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const n = fd.pread(file, buf.subarray(len), len);
    if (n === 0) return buf.subarray(0, len);
    len += n;
  }
}

/**
 * Whether an error says a file does not exist, and nothing else: a denied
 * permission (`EACCES`, or Deno's refusal) is never a missing file.
 *
 * @param e What was thrown.
 * @returns `true` for `ENOENT` only.
 */
export function isMissing(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === "ENOENT";
}
