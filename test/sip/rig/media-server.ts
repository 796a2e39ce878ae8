// drachtio-srf and drachtio-fsmrf connected to a rig's drachtio-server and FreeSWITCH, as the drachtio driver
// connects them: for tests and benches that drive FreeSWITCH endpoints without the whole driver.
/// <reference path="../../../services/media-gateway/src/drachtio/fsmrf.d.ts" />
import Mrf from "drachtio-fsmrf";
import Srf from "drachtio-srf";
import type { Telephony } from "./telephony.js";

export interface MediaConnection {
  readonly srf: Srf;
  readonly ms: Mrf.MediaServer;
  close(): void;
}

export async function connectMedia(tel: Telephony): Promise<MediaConnection> {
  const srf = new Srf();
  srf.connect({ host: tel.drachtio.host, port: tel.drachtio.port, secret: tel.drachtio.secret });
  await new Promise((resolve) => srf.once("connect", resolve));
  try {
    const ms = await new Mrf(srf).connect({
      address: tel.freeswitch.address,
      port: tel.freeswitch.port,
      secret: tel.freeswitch.secret,
      listenAddress: "127.0.0.1",
    });
    return {
      srf,
      ms,
      close() {
        ms.disconnect();
        srf.disconnect();
      },
    };
  } catch (err) {
    srf.disconnect();
    throw err;
  }
}

/** A phone's SDP offer (PCMU and RFC 2833 events) for a port nobody listens on: FreeSWITCH answers it and sends there. */
export function silentPhoneOffer(port: number): string {
  return (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
    `m=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`
  );
}
