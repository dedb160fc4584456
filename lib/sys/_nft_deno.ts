/**
 * libnftables over Deno's FFI: one context for the daemon's life, scripts
 * run in-process (a transaction each), output and errors read from
 * libnftables' buffers.
 *
 * @module
 */
import type { ExecResult } from "./exec.ts";
import { dlopenFirst, libNames } from "./libs.ts";

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

/** `NFT_CTX_OUTPUT_HANDLE` from libnftables.h. */
const OUTPUT_HANDLE = 1 << 3;

const SYMBOLS = {
  nft_ctx_new: { parameters: ["u32"], result: "pointer" },
  nft_ctx_buffer_output: { parameters: ["pointer"], result: "i32" },
  nft_ctx_buffer_error: { parameters: ["pointer"], result: "i32" },
  nft_ctx_get_output_buffer: { parameters: ["pointer"], result: "pointer" },
  nft_ctx_get_error_buffer: { parameters: ["pointer"], result: "pointer" },
  nft_ctx_output_get_flags: { parameters: ["pointer"], result: "u32" },
  nft_ctx_output_set_flags: { parameters: ["pointer", "u32"], result: "void" },
  nft_run_cmd_from_buffer: { parameters: ["pointer", "buffer"], result: "i32" },
} as const;

function cString(p: unknown): string {
  return p === null ? "" : new D.UnsafePointerView(p).getCString();
}

/** libnftables in this process (an `NftRunner`, firewall/nft_run.ts). */
export class LibNftables {
  readonly kind = "libnftables";
  // deno-lint-ignore no-explicit-any
  readonly #lib: any;
  readonly #ctx: unknown;
  readonly #flags: number;

  // deno-lint-ignore no-explicit-any
  private constructor(lib: any, ctx: unknown) {
    this.#lib = lib;
    this.#ctx = ctx;
    this.#flags = lib.nft_ctx_output_get_flags(ctx);
  }

  /**
   * Loads libnftables and makes a context.
   *
   * @throws {Error} when the library is missing.
   */
  static open(): LibNftables {
    const lib = dlopenFirst(libNames("nftables"), SYMBOLS);
    const ctx = lib.nft_ctx_new(0);
    if (ctx === null) throw new Error("nft_ctx_new failed");
    lib.nft_ctx_buffer_output(ctx);
    lib.nft_ctx_buffer_error(ctx);
    return new LibNftables(lib, ctx);
  }

  run(script: string, opts: { handles?: boolean } = {}): Promise<ExecResult> {
    const l = this.#lib;
    l.nft_ctx_output_set_flags(
      this.#ctx,
      opts.handles === true ? this.#flags | OUTPUT_HANDLE : this.#flags,
    );
    const rc: number = l.nft_run_cmd_from_buffer(
      this.#ctx,
      new TextEncoder().encode(`${script}\0`),
    );
    // Reading a buffer also resets it for the next command.
    const stdout = cString(l.nft_ctx_get_output_buffer(this.#ctx));
    const stderr = cString(l.nft_ctx_get_error_buffer(this.#ctx));
    return Promise.resolve({ code: rc === 0 ? 0 : 1, stdout, stderr });
  }
}
