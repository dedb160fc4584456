/**
 * UDP-server mode (`-U`, `ENABLE_UDP_SERVER`): a plain socket instead of
 * libpcap. Like fwknopd, the destination is recorded as 0.0.0.0.
 *
 * @module
 */
import { ANY_V4, ANY_V6, parseAddr } from "../net/addr.ts";
import { createSocket, type Socket } from "node:dgram";
import {
  type CapturedPacket,
  MAX_UDP_DATAGRAM,
  type PacketSource,
  type Prefilter,
} from "./packet.ts";
import { PacketQueue } from "../sys/packet_queue.ts";

const RECV_BUFFER = 8 * 1024 * 1024;

/** Datagrams received on a UDP port. */
export class UdpServerSource implements PacketSource {
  readonly #sock: Socket;
  readonly #port: number;
  readonly #queue = new PacketQueue<CapturedPacket>();

  private constructor(sock: Socket) {
    this.#sock = sock;
    const port = sock.address().port;
    this.#port = port;
    sock.on("message", (msg, rinfo) => {
      if (msg.length > MAX_UDP_DATAGRAM) return; // longer than any SPA packet
      if (!this.#queue.keeps(msg.length > 0 ? msg[0]! : -1, msg.length)) return;
      const src = (parseAddr(rinfo.address) ?? ANY_V4).unmapped();
      this.#queue.push({
        payload: new Uint8Array(msg),
        src,
        dst: src.family === 4 ? ANY_V4 : ANY_V6,
        proto: 17,
        sport: rinfo.port,
        dport: port,
      });
    });
  }

  /** Datagrams dropped because the reader fell behind. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** Payloads the prefilter turned away. */
  get screened(): number {
    return this.#queue.screened;
  }

  /**
   * Binds `address:port` and starts receiving. `::` (the default) takes IPv4
   * and IPv6 on one socket; where IPv6 is off it falls back to `0.0.0.0`.
   */
  static async open(port: number, address = "::"): Promise<UdpServerSource> {
    try {
      return await UdpServerSource.#bind(port, address);
    } catch (e) {
      if (address !== "::") throw e;
      return await UdpServerSource.#bind(port, "0.0.0.0");
    }
  }

  static async #bind(port: number, address: string): Promise<UdpServerSource> {
    // A large receive buffer rides out bursts (a flood of garbage) without losing valid packets.
    const type = address.includes(":") ? "udp6" : "udp4";
    const sock = createSocket({ type, recvBufferSize: RECV_BUFFER, ipv6Only: false });
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

  batches(keep?: Prefilter): AsyncIterable<CapturedPacket[]> {
    return this.#queue.batches(keep);
  }

  close(): void {
    if (this.#queue.closed) return;
    this.#queue.close();
    this.#sock.close();
  }
}
