/**
 * Reads the kernel's route tables (/proc/net/route, /proc/net/ipv6_route)
 * for PCAP_INTF `auto`. Deno refuses /proc/net to anything short of
 * `--allow-all`, so under Deno they are read through libc over FFI (the
 * daemon holds `--allow-ffi` for libpcap already); under Node with node:fs.
 * Each file is read up to 1 MiB: enough for the default routes, which the
 * kernel prints first; on a router with a full table, list the interfaces
 * instead of `auto`. A file that cannot be read counts as empty (no IPv6).
 *
 * @module
 */
import { isDeno, node } from "./runtime.ts";
import { libc, O_CLOEXEC, O_RDONLY } from "./libc.ts";

/** The route tables' text, as the kernel prints them (empty when absent). */
export interface RouteTables {
  v4: string;
  v6: string;
}

/** The kernel's IPv4 and IPv6 route tables. */
export const ROUTE_FILES = { v4: "/proc/net/route", v6: "/proc/net/ipv6_route" } as const;
/** Most bytes read from each table. */
export const MAX_ROUTE_TABLE = 1 << 20;
const CHUNK = 64 * 1024;

// node:fs only under Node (runtime.ts loads it there): under Deno it would load the whole Node layer.
const nodeFs = node?.fs;

/** Reads up to MAX_ROUTE_TABLE bytes through `read(buf, offset)`. */
function readCapped(read: (buf: Uint8Array, at: number) => number): Uint8Array {
  const out = new Uint8Array(MAX_ROUTE_TABLE);
  let len = 0;
  while (len < MAX_ROUTE_TABLE) {
    const n = read(out.subarray(len, Math.min(len + CHUNK, MAX_ROUTE_TABLE)), len);
    if (n <= 0) break;
    len += n;
  }
  return out.subarray(0, len);
}

/** One table's bytes through libc (Deno). */
function viaLibc(path: string): Uint8Array {
  const l = libc();
  const fd = l.open(new TextEncoder().encode(path + "\0"), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return new Uint8Array(0);
  try {
    return readCapped((buf, at) => Number(l.pread(fd, buf, BigInt(buf.length), BigInt(at))));
  } finally {
    l.close(fd);
  }
}

/** One table's bytes through node:fs (Node). */
function viaFs(path: string): Uint8Array {
  let fd: number;
  try {
    fd = nodeFs.openSync(path, "r");
  } catch {
    return new Uint8Array(0);
  }
  try {
    return readCapped((buf, at) => nodeFs.readSync(fd, buf, 0, buf.length, at));
  } finally {
    nodeFs.closeSync(fd);
  }
}

/**
 * Reads both route tables.
 *
 * @param files The files to read (tests pass others).
 * @returns Their text; a table that cannot be read is empty.
 * @throws {Error} under Deno without `--allow-ffi`.
 */
export function readRouteTables(files: { v4: string; v6: string } = ROUTE_FILES): RouteTables {
  const read = isDeno ? viaLibc : viaFs;
  const dec = new TextDecoder();
  return { v4: dec.decode(read(files.v4)), v6: dec.decode(read(files.v6)) };
}
