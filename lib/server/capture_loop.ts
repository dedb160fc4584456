/**
 * The capture side of the main loop, with fwknopd's EXIT_AT_INTF_DOWN: when
 * the capture fails (the interface went away), `Y` (the default) stops the
 * daemon with fwknopd's `Fatal error` line; `N` logs it and opens the
 * capture again every second until the interface is back. Grants stay in
 * place and expire on time meanwhile.
 *
 * @module
 */
import type { PacketSource } from "../capture/packet.ts";
import type { Logger } from "./log.ts";

/** How long to wait between attempts to capture again (ms). */
const REOPEN_EVERY_MS = 1000;

/** The capture in use; `stop` (signals) closes it and ends the loop. */
export class CaptureHolder {
  current: PacketSource;
  stopped = false;

  constructor(first: PacketSource) {
    this.current = first;
  }

  /** SIGTERM/SIGINT: close the capture, and do not open another. */
  stop(): void {
    this.stopped = true;
    this.current.close();
  }
}

/**
 * Runs `loop` over the capture; on a capture failure either stops (`exitAtIntfDown`)
 * or reopens with `open` until it works again.
 *
 * @param h The capture holder (signals stop through it).
 * @param loop Reads packets until the source ends; rejects when capture fails.
 * @param open Opens the capture again.
 * @throws {Error} the capture failure, when EXIT_AT_INTF_DOWN is `Y`.
 */
export async function runCapture(
  h: CaptureHolder,
  loop: (src: PacketSource) => Promise<unknown>,
  open: () => Promise<PacketSource>,
  log: Logger,
  exitAtIntfDown: boolean,
): Promise<void> {
  for (;;) {
    try {
      await loop(h.current);
      return;
    } catch (e) {
      if (h.stopped) return;
      const why = (e as Error).message;
      if (exitAtIntfDown) {
        log.log("error", `[*] Fatal error from pcap_dispatch: ${why}`);
        throw e;
      }
      log.log(
        "error",
        `[*] Error from pcap_dispatch: ${why} (EXIT_AT_INTF_DOWN N: capture resumes when the interface is back)`,
      );
    }
    h.current.close();
    while (!h.stopped) {
      await new Promise((r) => setTimeout(r, REOPEN_EVERY_MS));
      if (h.stopped) return;
      try {
        h.current = await open();
        log.log("info", "Capture resumed.");
        break;
      } catch {
        // still gone
      }
    }
    if (h.stopped) return;
  }
}
