/**
 * The one place that knows what the native libraries are called on each
 * platform Deno runs on. Verified here: Linux. Built to spec: macOS (libpcap
 * and libc are in the system, as `libpcap.A.dylib` and `libSystem.B.dylib`).
 *
 * @module
 */

/** The operating system, as Deno (or Node) names it. */
export function osName(): string {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  return g.Deno?.build?.os ?? g.process?.platform ?? "linux";
}

const NAMES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  linux: {
    c: ["libc.so.6"],
    pcap: ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"],
    nftables: ["libnftables.so.1"],
    crypto: ["libcrypto.so.3", "libcrypto.so"],
  },
  darwin: {
    c: ["libSystem.B.dylib", "/usr/lib/libSystem.B.dylib"],
    pcap: ["libpcap.A.dylib", "/usr/lib/libpcap.A.dylib", "libpcap.dylib"],
    crypto: ["libcrypto.3.dylib", "libcrypto.dylib"],
  },
  freebsd: {
    c: ["libc.so.7"],
    pcap: ["libpcap.so.8", "libpcap.so"],
  },
};

/**
 * The file names to try for a library on this platform, in order.
 *
 * @param lib `c`, `pcap`, `nftables` or `crypto`.
 * @param os The platform (default: this one).
 */
export function libNames(lib: NativeLib, os: string = osName()): readonly string[] {
  return NAMES[os]?.[lib] ?? NAMES.linux![lib]!;
}

/** The native libraries the seams load. */
export type NativeLib = "c" | "pcap" | "nftables" | "crypto";

/**
 * Whether one of the library's names loads (Deno FFI allowed and the file
 * present); the handle is closed again.
 */
export function canLoad(lib: NativeLib): boolean {
  // deno-lint-ignore no-explicit-any
  const D: any = (globalThis as any).Deno;
  for (const name of libNames(lib)) {
    try {
      D.dlopen(name, {}).close();
      return true;
    } catch {
      // try the next name
    }
  }
  return false;
}

/**
 * Opens the first of `names` that loads (Deno FFI).
 *
 * @throws {Error} with the last loader error when none loads.
 */
export function dlopenFirst<S extends Record<string, unknown>>(
  names: readonly string[],
  symbols: S,
  // deno-lint-ignore no-explicit-any
): any {
  // deno-lint-ignore no-explicit-any
  const D: any = (globalThis as any).Deno;
  let last: unknown;
  for (const name of names) {
    try {
      return D.dlopen(name, symbols).symbols;
    } catch (e) {
      last = e;
    }
  }
  throw last instanceof Error ? last : new Error(`cannot load any of ${names.join(", ")}`);
}

/**
 * The firewall fwknopd's build would choose on this platform: iptables on
 * Linux, pf on macOS and OpenBSD, ipfw on FreeBSD.
 */
export function defaultFirewallType(os: string = osName()): string {
  return os === "darwin" || os === "openbsd" ? "pf" : os === "freebsd" ? "ipfw" : "iptables";
}
