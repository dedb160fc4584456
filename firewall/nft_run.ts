/**
 * The nftables seam: scripts go to the kernel through libnftables
 * (`libnftables.so.1`) over Deno's FFI when `--allow-ffi` is granted (no
 * process per grant), else through the `nft` binary (`nft -f -`, argv, no
 * shell) under Node or without FFI.
 *
 * @module
 */
import { isDeno, lacksPermission } from "../lib/runtime.ts";
import type { ExecResult, Runner } from "./exec.ts";

/** Options of one nft run. */
export interface NftRunOptions {
  /** Print rule handles (`nft -a`). */
  handles?: boolean;
}

/** Something that runs nft scripts. */
export interface NftRunner {
  /** `libnftables` or `nft binary`. */
  readonly kind: string;
  /** Runs a script (one transaction); code 0 on success, stderr holds nft's error. */
  run(script: string, opts?: NftRunOptions): Promise<ExecResult>;
}

/** The `nft` binary as runner. */
export function nftBinary(exe: string, run: Runner): NftRunner {
  return {
    kind: "nft binary",
    run: (script, opts = {}) =>
      run([exe, ...(opts.handles === true ? ["-a"] : []), "-f", "-"], {
        input: script,
        timeoutMs: 10_000,
      }),
  };
}

/** The library the FFI runner loads. */
export const LIBNFTABLES = "libnftables.so.1";

/**
 * Whether nft scripts will go through libnftables over FFI: Deno, FFI
 * allowed, and the library present. Then no `nft` program is run (the
 * permission check asks for `--allow-run=nft` only otherwise).
 */
export function nftOverFfi(): boolean {
  if (!isDeno || lacksPermission({ name: "ffi" })) return false;
  try {
    // deno-lint-ignore no-explicit-any
    (globalThis as any).Deno.dlopen(LIBNFTABLES, {}).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * The fastest runner this process may use.
 *
 * @param exe The nft binary, used without FFI.
 * @param run The argv runner.
 * @returns The runner; libnftables when it loads.
 */
export async function nftRunner(exe: string, run: Runner): Promise<NftRunner> {
  if (nftOverFfi()) {
    const { LibNftables } = await import("./_nft_deno.ts");
    return LibNftables.open();
  }
  // No FFI, or libnftables1 missing: the binary still works.
  return nftBinary(exe, run);
}
