// drachtio-fsmrf 4.1.2 ships no types: the part of its API this driver uses, as its source defines it.
declare module "drachtio-fsmrf" {
  import type { EventEmitter } from "node:events";
  import type Srf from "drachtio-srf";

  namespace Mrf {
    interface ConnectOptions {
      address: string;
      port?: number;
      secret?: string;
      /** Where its outbound event-socket server listens (FreeSWITCH connects back to it). */
      listenAddress?: string;
      listenPort?: number;
      advertisedAddress?: string;
      advertisedPort?: number;
      profile?: string;
    }
    interface EslEvent {
      getHeader(name: string): string | undefined;
      getBody(): string;
    }
    interface MediaServer extends EventEmitter {
      readonly address: string;
      createEndpoint(opts?: { remoteSdp?: string; codecs?: string | string[] }): Promise<Endpoint>;
      api(command: string): Promise<string>;
      disconnect(): void;
      connected(): boolean;
    }
    interface Endpoint extends EventEmitter {
      readonly uuid: string;
      readonly local: { sdp: string };
      readonly remote: { sdp: string };
      readonly dialog: Srf.Dialog;
      readonly connected: boolean;
      play(file: string | string[]): Promise<{ playbackSeconds?: string; playbackMilliseconds?: string }>;
      execute(app: string, arg?: string): Promise<EslEvent>;
      /** Channel variables; several at once go in one `multiset`. */
      set(vars: Readonly<Record<string, string>>): Promise<void>;
      api(command: string, args?: string | string[]): Promise<EslEvent>;
      bridge(other: Endpoint | string): Promise<void>;
      unbridge(): Promise<void>;
      modify(sdp: string): Promise<string>;
      record(
        file: string,
        opts?: { timeLimitSecs?: number; silenceThresh?: number; silenceHits?: number },
      ): Promise<unknown>;
      destroy(): Promise<void>;
      on(event: "dtmf", listener: (args: { dtmf: string; duration?: string; source?: string }) => void): this;
      on(event: "destroy", listener: (args?: { reason?: string }) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  class Mrf extends EventEmitter {
    constructor(srf: Srf, opts?: Record<string, unknown>);
    connect(opts: Mrf.ConnectOptions): Promise<Mrf.MediaServer>;
  }
  export = Mrf;
}
