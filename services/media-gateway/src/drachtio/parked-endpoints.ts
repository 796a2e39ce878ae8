/// <reference path="./fsmrf.d.ts" />
// FreeSWITCH endpoints driven over the one inbound event-socket connection the gateway already holds, rather
// than drachtio-fsmrf's way of one outbound event-socket connection per channel.
//
// Why: with fsmrf's way each new channel runs the `socket` application, which waits for the gateway's
// handshake in a 1 ms sleep loop, and each connection then has a listener thread in FreeSWITCH that wakes
// every few tens of milliseconds and sees every event of the switch to filter it (mod_event_socket checks each
// event against each listener). The cost of a creation grows with the channels already up. `pnpm bench --only
// media` on this 2-core machine, FreeSWITCH CPU per creation with 0 / 200 / 400 endpoints up: outbound sockets
// 19.7 / 58.9 / 444 ms (and a creation timing out before 800), parked channels driven from one connection
// 10.9 / 13.2 / 22.8 ms.
//
// How: the INVITE to FreeSWITCH carries `X-Switchyard-Endpoint: <token>`; FreeSWITCH's dialplan answers and
// parks such calls (the `switchyard_endpoint` extension in the README). The channel's CHANNEL_PARK event,
// which carries the header, tells its uuid. Applications run with `sendmsg <uuid>` on the shared
// connection and complete on CHANNEL_EXECUTE_COMPLETE; DTMF and PLAYBACK_START events are dispatched by
// uuid. The SIP dialog between drachtio-server and FreeSWITCH is the endpoint's life: a BYE from FreeSWITCH is
// its end, and destroy() is our BYE.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type Mrf from "drachtio-fsmrf";
import type Srf from "drachtio-srf";

/** The header FreeSWITCH's dialplan recognises: its value is the creation's token. */
export const ENDPOINT_HEADER = "X-Switchyard-Endpoint";

/** The dialplan extension FreeSWITCH needs for parked endpoints (the README shows the same). */
export const PARK_EXTENSION = `<extension name="switchyard_endpoint">
  <condition field="\${sip_h_${ENDPOINT_HEADER}}" expression="^.+$">
    <action application="answer"/>
    <action application="park"/>
  </condition>
</extension>`;

/** What the drachtio driver asks of a FreeSWITCH endpoint, whichever way it is driven. */
export interface MediaEndpoint {
  readonly uuid: string;
  readonly local: { sdp: string };
  /** The SIP dialog between drachtio-server and FreeSWITCH for this endpoint. */
  readonly dialog: Srf.Dialog;
  play(file: string): Promise<unknown>;
  /** Channel variables, all in one command. */
  set(vars: Readonly<Record<string, string>>): Promise<void>;
  api(command: string, args?: string | string[]): Promise<unknown>;
  /** Bridges this channel with another (by its uuid). */
  bridge(otherUuid: string): Promise<void>;
  unbridge(): Promise<void>;
  /** A new remote SDP (re-INVITE to FreeSWITCH); resolves with FreeSWITCH's answer. */
  modify(sdp: string): Promise<string>;
  record(file: string, opts?: { timeLimitSecs?: number }): Promise<unknown>;
  destroy(): Promise<void>;
  on(event: "dtmf", listener: (args: { dtmf: string }) => void): this;
  on(event: "destroy" | "playback-start", listener: () => void): this;
}

/** FreeSWITCH did not park the call (its dialplan lacks the extension) or did not answer in time. */
export class EndpointNotParkedError extends Error {
  override readonly name = "EndpointNotParkedError";
}

/** An application or command for an endpoint whose channel is gone. */
export class EndpointGoneError extends Error {
  override readonly name = "EndpointGoneError";
}

/** The event-socket connection to FreeSWITCH closed with this command in flight (it may or may not have run). */
export class EventSocketLostError extends Error {
  override readonly name = "EventSocketLostError";
}

/** An event-socket command FreeSWITCH answered with `-ERR`. */
export class FreeswitchCommandError extends Error {
  override readonly name = "FreeswitchCommandError";
}

interface EslEvent {
  getHeader(name: string): string | undefined;
  getBody(): string;
}

interface EslConnection {
  on(event: string, listener: (evt: EslEvent) => void): unknown;
  /** modesl's callbacks of commands sent and not answered yet, in order. */
  cmdCallbackQueue?: unknown[];
  apiCallbackQueue?: unknown[];
  removeListener(event: string, listener: (evt: EslEvent) => void): unknown;
  subscribe(events: string[], cb?: () => void): void;
  api(command: string, cb: (evt: EslEvent) => void): void;
  execute(app: string, arg: string, uuid: string, cb: (evt: EslEvent) => void): string;
}

/** Events the parked endpoints need; HEARTBEAT is drachtio-fsmrf's own subscription, kept. */
const EVENTS = ["CHANNEL_PARK", "CHANNEL_EXECUTE_COMPLETE", "DTMF", "PLAYBACK_START", "HEARTBEAT"];

/** How long a pending application may outlive its channel before it is failed (FreeSWITCH normally ends it). */
const GONE_GRACE_MS = 2_000;

/** The commands an endpoint sends, over the shared connection. */
interface EslPort {
  api(command: string): Promise<EslEvent>;
  execute(uuid: string, app: string, arg: string): Promise<EslEvent>;
}

/** Creates and drives parked endpoints on one media server. */
export class ParkedEndpoints implements EslPort {
  readonly #srf: Srf;
  readonly #conn: EslConnection;
  readonly #sipAddress: () => string;
  readonly #timeoutMs: number;
  /** Creations waiting for their channel's CHANNEL_PARK, by token. */
  readonly #pending = new Map<string, (uuid: string) => void>();
  readonly #live = new Map<string, ParkedEndpoint>();
  readonly #off: Array<() => void> = [];
  readonly #subscribed: Promise<void>;
  /** Commands sent and not answered: failed if the connection closes (FreeSWITCH will never answer them). */
  readonly #inflight = new Set<(err: Error) => void>();

  constructor(srf: Srf, ms: Mrf.MediaServer, options: { timeoutMs?: number } = {}) {
    this.#srf = srf;
    const conn = (ms as unknown as { conn?: EslConnection }).conn;
    if (!conn) throw new Error("drachtio-fsmrf's media server has no event-socket connection");
    this.#conn = conn;
    // drachtio-fsmrf 4.1.2 keeps the profile's SIP address in `sip.ipv4.udp.address` (host:port).
    this.#sipAddress = () => {
      const address = (ms as unknown as { sip?: { ipv4?: { udp?: { address?: string } } } }).sip?.ipv4?.udp
        ?.address;
      if (!address) throw new Error("FreeSWITCH's SIP address is not known yet");
      return address;
    };
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#listen("CHANNEL_PARK", (evt) => {
      const token = evt.getHeader(`variable_sip_h_${ENDPOINT_HEADER}`);
      const uuid = evt.getHeader("Unique-ID");
      if (!token || !uuid) return;
      const resolve = this.#pending.get(token);
      if (resolve) {
        this.#pending.delete(token);
        resolve(uuid);
      }
    });
    this.#listen("DTMF", (evt) => {
      const digit = evt.getHeader("DTMF-Digit");
      if (digit) this.#endpointOf(evt)?.emit("dtmf", { dtmf: digit });
    });
    this.#listen("PLAYBACK_START", (evt) => this.#endpointOf(evt)?.emit("playback-start"));
    let subscribed!: () => void;
    this.#subscribed = new Promise<void>((resolve) => {
      subscribed = resolve;
    });
    const subscribe = () => conn.subscribe(EVENTS, subscribed);
    subscribe();
    // A reconnected event socket (modesl reconnects by itself) starts with no subscriptions.
    conn.on("esl::ready", subscribe);
    this.#off.push(() => conn.removeListener("esl::ready", subscribe));
    const lost = () => {
      // modesl matches replies to the callbacks of its queues in order and does not empty them when the
      // socket closes: after its reconnection every reply would go to an older command's callback.
      conn.cmdCallbackQueue?.splice(0);
      conn.apiCallbackQueue?.splice(0);
      const fail = [...this.#inflight];
      this.#inflight.clear();
      for (const reject of fail)
        reject(new EventSocketLostError("the event-socket connection to FreeSWITCH closed"));
    };
    conn.on("esl::end", lost);
    this.#off.push(() => conn.removeListener("esl::end", lost));
  }

  api(command: string): Promise<EslEvent> {
    return this.#send((done) => this.#conn.api(command, done));
  }

  execute(uuid: string, app: string, arg: string): Promise<EslEvent> {
    return this.#send((done) => this.#conn.execute(app, arg, uuid, done));
  }

  #send(command: (done: (evt: EslEvent) => void) => void): Promise<EslEvent> {
    return new Promise<EslEvent>((resolve, reject) => {
      this.#inflight.add(reject);
      command((evt) => {
        this.#inflight.delete(reject);
        resolve(evt);
      });
    });
  }

  /** Resolves once FreeSWITCH sends this connection the events (a creation before would miss its park). */
  ready(): Promise<void> {
    return this.#subscribed;
  }

  /** Parked endpoints up now. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * An endpoint: with `remoteSdp`, FreeSWITCH answers that offer; without it (3pcc), FreeSWITCH offers in its
   * 200 OK and the phone's answer comes later through `modify`.
   */
  async create(opts: { remoteSdp?: string } = {}): Promise<ParkedEndpoint> {
    await this.#subscribed;
    const token = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const parked = new Promise<string>((resolve, reject) => {
      this.#pending.set(token, resolve);
      timer = setTimeout(() => {
        this.#pending.delete(token);
        reject(
          new EndpointNotParkedError(
            `FreeSWITCH did not park the endpoint within ${this.#timeoutMs} ms: does its dialplan have the ` +
              `${ENDPOINT_HEADER} extension (media-gateway README)?`,
          ),
        );
      }, this.#timeoutMs);
    });
    let dialog: Srf.Dialog | undefined;
    let request: { cancel?(): void } | undefined;
    let failed = false;
    const invite = this.#srf
      .createUAC(
        `sip:switchyard@${this.#sipAddress()}`,
        {
          headers: { [ENDPOINT_HEADER]: token },
          ...(opts.remoteSdp === undefined ? {} : { localSdp: opts.remoteSdp }),
        } as Srf.CreateUACOptions,
        {
          cbRequest: (_err: unknown, req: unknown) => {
            request = req as { cancel?(): void };
          },
        } as never,
      )
      .then((d) => {
        dialog = d;
        // Answered after the creation gave up (no park in time): not wanted.
        if (failed) void Promise.resolve(d.destroy()).catch(() => undefined);
        return d;
      });
    try {
      const [uuid, d] = await Promise.all([parked, invite]);
      const ep = new ParkedEndpoint(uuid, d, this, () => this.#live.delete(uuid));
      this.#live.set(uuid, ep);
      return ep;
    } catch (err) {
      failed = true;
      this.#pending.delete(token);
      invite.catch(() => undefined);
      if (dialog) void Promise.resolve(dialog.destroy()).catch(() => undefined);
      else request?.cancel?.();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops listening; the endpoints' channels are left to the caller (destroy them first). */
  close(): void {
    for (const off of this.#off.splice(0)) off();
    this.#pending.clear();
  }

  #listen(name: string, listener: (evt: EslEvent) => void): void {
    const event = `esl::event::${name}::*`;
    this.#conn.on(event, listener);
    this.#off.push(() => this.#conn.removeListener(event, listener));
  }

  #endpointOf(evt: EslEvent): ParkedEndpoint | undefined {
    const uuid = evt.getHeader("Unique-ID");
    return uuid === undefined ? undefined : this.#live.get(uuid);
  }
}

/** One parked FreeSWITCH channel and its SIP dialog with drachtio-server. */
export class ParkedEndpoint extends EventEmitter implements MediaEndpoint {
  readonly uuid: string;
  readonly local: { sdp: string };
  readonly dialog: Srf.Dialog;
  readonly #port: EslPort;
  readonly #forget: () => void;
  #gone = false;
  /** Applications sent and not completed: failed if the channel goes without completing them. */
  readonly #running = new Set<(err: Error) => void>();

  constructor(uuid: string, dialog: Srf.Dialog, port: EslPort, forget: () => void) {
    super();
    this.uuid = uuid;
    this.dialog = dialog;
    this.local = { sdp: dialog.remote.sdp };
    this.#port = port;
    this.#forget = forget;
    dialog.on("destroy", () => {
      // FreeSWITCH hung the channel up (a uuid_kill, its own timeout): ours to report.
      if (this.#gone) return;
      this.#ended();
      this.emit("destroy");
    });
  }

  async play(file: string): Promise<{ playbackMilliseconds?: string }> {
    const evt = await this.execute("playback", file);
    if (evt.getHeader("Application-Response") === "FILE NOT FOUND")
      throw new FreeswitchCommandError(`file not found: ${file}`);
    const ms = evt.getHeader("variable_playback_ms");
    return ms === undefined ? {} : { playbackMilliseconds: ms };
  }

  async record(file: string, opts: { timeLimitSecs?: number } = {}): Promise<unknown> {
    const limit = opts.timeLimitSecs ? ` ${opts.timeLimitSecs}` : "";
    return this.execute("record", `${file}${limit}`);
  }

  async set(vars: Readonly<Record<string, string>>): Promise<void> {
    const pairs = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
    if (pairs.length === 0) return;
    await this.#ok(`uuid_setvar_multi ${this.uuid} ${pairs.join(";")}`);
  }

  async api(command: string, args: string | string[] = []): Promise<EslEvent> {
    const rest = Array.isArray(args) ? args.join(" ") : args;
    return this.#api(rest ? `${command} ${rest}` : command);
  }

  async bridge(otherUuid: string): Promise<void> {
    await this.#ok(`uuid_bridge ${this.uuid} ${otherUuid}`);
  }

  async unbridge(): Promise<void> {
    await this.#ok(`uuid_transfer ${this.uuid} -both park inline`);
  }

  async modify(sdp: string): Promise<string> {
    const answer = (await this.dialog.modify(sdp)) as unknown as string;
    this.local.sdp = answer;
    return answer;
  }

  /** Runs a dialplan application on the channel; resolves with its CHANNEL_EXECUTE_COMPLETE. */
  execute(app: string, arg = ""): Promise<EslEvent> {
    if (this.#gone) return Promise.reject(new EndpointGoneError(`endpoint ${this.uuid} is gone`));
    return new Promise<EslEvent>((resolve, reject) => {
      this.#running.add(reject);
      this.#port.execute(this.uuid, app, arg).then(
        (evt) => {
          this.#running.delete(reject);
          resolve(evt);
        },
        (err: unknown) => {
          this.#running.delete(reject);
          reject(err);
        },
      );
    });
  }

  /** Our BYE to FreeSWITCH ends the channel. */
  async destroy(): Promise<void> {
    if (this.#gone) return;
    this.#ended();
    await Promise.resolve(this.dialog.destroy()).catch(() => undefined);
  }

  #ended(): void {
    this.#gone = true;
    this.#forget();
    if (this.#running.size === 0) return;
    const fail = [...this.#running];
    this.#running.clear();
    setTimeout(() => {
      for (const reject of fail) reject(new EndpointGoneError(`endpoint ${this.uuid} is gone`));
    }, GONE_GRACE_MS).unref();
  }

  #api(command: string): Promise<EslEvent> {
    return this.#port.api(command);
  }

  async #ok(command: string): Promise<void> {
    const body = (await this.#api(command)).getBody();
    if (!body.startsWith("+OK")) throw new FreeswitchCommandError(`${command.split(" ")[0]}: ${body.trim()}`);
  }
}
