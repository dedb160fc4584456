/**
 * The nftables seam: scripts go to the kernel through libnftables
 * (`libnftables.so.1`, see lib/sys/libs.ts) over Deno's FFI when `--allow-ffi` is granted (no
 * process per grant), else through the `nft` binary (`nft -f -`, argv, no
 * shell) under Node or without FFI.
 *
 * @module
 */
import { isDeno, lacksPermission } from "../lib/sys/runtime.ts";
import { canLoad } from "../lib/sys/libs.ts";
import type { ExecResult, Runner } from "../lib/sys/exec.ts";
import type { NftNewElement } from "../lib/sys/nft_element.ts";

export type { NftNewElement };

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
  /**
   * Optional fast path: creates elements (`create element`, so one that is
   * there already fails the whole transaction) in one transaction sent
   * straight to the kernel, without parsing a script or fetching the
   * ruleset first. Same outcome as the `create element` script; code 0 on
   * success, else stderr holds the kernel's error (`File exists`, `No such
   * file or directory`); the caller then takes the script path.
   */
  createElements?(els: readonly NftNewElement[]): ExecResult;
  /** Releases what the fast path keeps open (its netlink socket); idempotent. */
  stop?(): void;
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

/**
 * Whether nft scripts will go through libnftables over FFI: Deno, FFI
 * allowed, and the library present. Then no `nft` program is run (the
 * permission check asks for `--allow-run=nft` only otherwise).
 */
export function nftOverFfi(): boolean {
  if (!isDeno || lacksPermission({ name: "ffi" })) return false;
  return canLoad("nftables");
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
    const { LibNftables } = await import("../lib/sys/_nft_deno.ts");
    return LibNftables.open();
  }
  // No FFI, or libnftables1 missing: the binary still works.
  return nftBinary(exe, run);
}
