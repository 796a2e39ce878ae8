// Private loopback ports per run: several test files and helpers run at once on this machine, so the rig never
// assumes the well-known ports (5060, 9022, 5080, 8021, RTP 20000+) are free. Single ports come from the
// kernel (bind to port 0), checked free for both TCP and UDP; RTP ranges are picked below the kernel's
// ephemeral range (32768+) so they cannot collide with ports the kernel hands out.
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

export class PortAllocationError extends Error {
  override name = "PortAllocationError";
}

const HOST = "127.0.0.1";
const handedOut = new Set<number>();

function tcpFree(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen({ port, host: HOST, exclusive: true }, () => {
      const address = server.address();
      const got = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => resolve(got));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: HOST, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/**
 * One port free for TCP and UDP on 127.0.0.1 (SIP listens on both). With `span`, the following span-1 ports are
 * free too (baresip binds TLS on SIP port + 1).
 */
export async function freePort(span = 1): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tcpFree(0);
    if (port === undefined || port + span > 65_535) continue;
    let ok = true;
    for (let p = port; p < port + span && ok; p++) {
      ok = !handedOut.has(p) && (await udpFree(p)) && (p === port || (await tcpFree(p)) !== undefined);
    }
    if (!ok) continue;
    for (let p = port; p < port + span; p++) handedOut.add(p);
    return port;
  }
  throw new PortAllocationError("no free loopback port after 50 attempts");
}

export interface PortRange {
  readonly start: number;
  readonly end: number;
}

/** `size` consecutive UDP ports (even start, for RTP/RTCP pairs) in 21000..32000, sampled free. */
export async function freeRange(size: number): Promise<PortRange> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = 21_000 + 2 * randomInt(0, (32_000 - 21_000 - size) / 2);
    const end = start + size - 1;
    let ok = true;
    for (let p = start; p <= end && ok; p++) if (handedOut.has(p)) ok = false;
    // Sampling every 10th port is enough to spot a range another run holds (they hold blocks, not singles).
    for (let p = start; p <= end && ok; p += 10) ok = await udpFree(p);
    if (!ok) continue;
    for (let p = start; p <= end; p++) handedOut.add(p);
    return { start, end };
  }
  throw new PortAllocationError(`no free UDP range of ${size} ports after 50 attempts`);
}
