/**
 * UDP-server mode (`-U`, `ENABLE_UDP_SERVER`): a plain socket instead of
 * libpcap. Like fwknopd, the destination is recorded as 0.0.0.0.
 *
 * @module
 */
import { wireText } from "../spa/text.ts";
import { createSocket, type Socket } from "node:dgram";
import {
  type CapturedPacket,
  MAX_UDP_DATAGRAM,
  type PacketSource,
  type Prefilter,
} from "./packet.ts";

const MAX_QUEUE = 4096;
const RECV_BUFFER = 8 * 1024 * 1024;

/** Datagrams received on a UDP port. */
export class UdpServerSource implements PacketSource {
  readonly #sock: Socket;
  readonly #port: number;
  readonly #queue: CapturedPacket[] = [];
  #wake?: () => void;
  #closed = false;
  #keep?: Prefilter;
  /** Payloads the prefilter turned away. */
  screened = 0;
  /** Datagrams dropped because the queue was full. */
  dropped = 0;

  private constructor(sock: Socket) {
    this.#sock = sock;
    const port = sock.address().port;
    this.#port = port;
    sock.on("message", (msg, rinfo) => {
      if (msg.length > MAX_UDP_DATAGRAM) return; // longer than any SPA packet
      if (this.#keep !== undefined && !this.#keep(msg.length > 0 ? msg[0]! : -1, msg.length)) {
        this.screened++;
        return;
      }
      if (this.#queue.length >= MAX_QUEUE) {
        this.dropped++;
        return;
      }
      this.#queue.push({
        payload: wireText(msg),
        src: rinfo.address,
        dst: "0.0.0.0",
        proto: 17,
        sport: rinfo.port,
        dport: port,
      });
      this.#wake?.();
    });
  }

  /** Binds `address:port` and starts receiving. */
  static async open(port: number, address = "0.0.0.0"): Promise<UdpServerSource> {
    // A large receive buffer rides out bursts (a flood of garbage) without losing valid packets.
    const sock = createSocket({ type: "udp4", recvBufferSize: RECV_BUFFER });
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind(port, address, () => {
        sock.off("error", reject);
        resolve();
      });
    });
    return new UdpServerSource(sock);
  }

  /** The bound port. */
  get port(): number {
    return this.#port;
  }

  async *batches(keep?: Prefilter): AsyncIterable<CapturedPacket[]> {
    this.#keep = keep;
    while (!this.#closed) {
      if (this.#queue.length > 0) {
        yield this.#queue.splice(0, this.#queue.length);
        continue;
      }
      await new Promise<void>((r) => this.#wake = r);
      this.#wake = undefined;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock.close();
    this.#wake?.();
  }
}
