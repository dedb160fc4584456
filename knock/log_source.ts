/**
 * Where kernel LOG lines come from: the kernel's own log (`/dev/kmsg`, the
 * kernel's records only, from the moment it is opened) or a syslog file
 * (`IPT_SYSLOG_FILE`, which any local user can write lines into with
 * `logger`) followed from its end, reopened when it is rotated (a new
 * inode) or truncated (it shrank). Lines that are knocks come out as
 * packets. The file access is in `lib/sys/follow.ts`, so this runs under
 * Deno and Node alike.
 *
 * @module
 */
import type { CapturedPacket } from "../lib/capture/packet.ts";
import { fileIdentity, openRecordDevice, readRange } from "../lib/sys/follow.ts";
import { kernelMessage, KMSG_RECORD_MAX } from "./kmsg_record.ts";
import { MAX_LOG_LINE, parseLogLine } from "./log_line.ts";

/** How often a syslog file or an idle /dev/kmsg is looked at. */
const POLL_MS = 200;
/** Most bytes of a syslog file read in one step. */
const FILE_CHUNK = 1 << 20;

/** A stream of knock packets read from kernel LOG lines. */
export interface LogSource {
  /** Packets in the order their lines were read; ends when closed. */
  packets(): AsyncIterable<CapturedPacket>;
  /** Lines refused for their length or shape that looked like LOG lines (`IN=`). */
  readonly refused: number;
  /** Stops reading; idempotent. */
  close(): void;
}

/** A sleep that `close()` can cut short. */
function napper(): { nap(ms: number): Promise<void>; wake(): void } {
  let wake: (() => void) | undefined;
  return {
    nap: (ms) =>
      new Promise<void>((r) => {
        const t = setTimeout(r, ms);
        wake = () => {
          clearTimeout(t);
          r();
        };
      }),
    wake: () => wake?.(),
  };
}

/**
 * /dev/kmsg records: `prio,seq,usec,flags;message`. Only records of the
 * kernel's facility (0) are read (kmsg_record.ts); what user space writes
 * there carries LOG_USER or another facility and is skipped. The backlog
 * present at open is skipped: those are old knocks.
 *
 * @param path The device (tests may pass another).
 * @param pollMs How long to wait when no record is there.
 * @returns The source.
 */
export function kmsgSource(path = "/dev/kmsg", pollMs = POLL_MS): LogSource {
  let closed = false;
  let refused = 0;
  const sleep = napper();
  return {
    get refused() {
      return refused;
    },
    async *packets() {
      const dev = await openRecordDevice(path);
      const buf = new Uint8Array(KMSG_RECORD_MAX);
      const dec = new TextDecoder();
      let backlog = true;
      try {
        while (!closed) {
          const n = await dev.read(buf);
          if (n === null) break;
          if (n === "again") {
            backlog = false;
            await sleep.nap(pollMs);
            continue;
          }
          if (n === "lost" || backlog) continue;
          const msg = kernelMessage(dec.decode(buf.subarray(0, n)));
          if (msg === undefined) continue;
          const pkt = parseLogLine(msg);
          if (pkt !== undefined) yield pkt;
          else if (msg.includes("IN=")) refused++;
        }
      } finally {
        await dev.close();
      }
    },
    close() {
      closed = true;
      sleep.wake();
    },
  };
}

/**
 * A syslog file, followed like `tail -F` from its current end. Anyone who
 * can write to the system log can write lines here: this source is only
 * opened behind `KNOCK_SYSLOG_FORGEABLE Y`.
 *
 * @param path IPT_SYSLOG_FILE.
 * @param pollMs How often to look (tests pass less).
 * @returns The source.
 */
export function fileSource(path: string, pollMs = POLL_MS): LogSource {
  let closed = false;
  let refused = 0;
  const sleep = napper();
  return {
    get refused() {
      return refused;
    },
    async *packets() {
      const first = await fileIdentity(path);
      // Not there yet: it will be read from its start once it appears.
      let ino = first?.ino;
      let pos = first?.size ?? 0;
      let rest = "";
      let skipping = false;
      const dec = new TextDecoder();
      while (!closed) {
        const st = await fileIdentity(path);
        if (st !== undefined && (st.ino !== ino || st.size < pos)) {
          // Rotated or truncated: the new file is read from its start.
          ino = st.ino;
          pos = 0;
          rest = "";
          skipping = false;
        }
        if (st !== undefined && st.size > pos) {
          const bytes = await readRange(path, pos, Math.min(st.size, pos + FILE_CHUNK));
          pos += bytes.length;
          const lines = (rest + dec.decode(bytes, { stream: true })).split("\n");
          rest = lines.pop() ?? "";
          for (const line of lines) {
            if (skipping) {
              skipping = false; // the end of an overlong line
              continue;
            }
            const pkt = parseLogLine(line);
            if (pkt !== undefined) yield pkt;
            else if (line.includes("IN=")) refused++;
          }
          if (rest.length > MAX_LOG_LINE) {
            refused++;
            rest = "";
            skipping = true;
          }
          if (bytes.length === FILE_CHUNK) continue;
        }
        await sleep.nap(pollMs);
      }
    },
    close() {
      closed = true;
      sleep.wake();
    },
  };
}
