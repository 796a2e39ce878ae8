// baresip phones for real audio: the `aufile` module plays a WAV as the microphone, `sndfile` writes what the
// phone hears (…-dec.wav) and what it sends (…-enc.wav) per call into the phone's rec folder, answermode=auto
// makes it an auto-answer agent phone, and the `ctrl_tcp` module lets the test dial, hang up, send DTMF
// (RFC 2833 telephone-events) and watch call events (CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED ...).
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { freePort, freeRange } from "./ports.js";
import { ManagedProcess, waitFor } from "./processes.js";

export class BaresipError extends Error {
  override name = "BaresipError";
}

export const BARESIP_MODULES = process.env.SWITCHYARD_BARESIP_MODULES ?? "/usr/lib/baresip/modules";

export interface PhoneEvent {
  readonly type: string;
  readonly at: number;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Recording {
  /** What the phone heard (decoded received audio). */
  readonly heard: string;
  /** What the phone sent. */
  readonly sent: string | undefined;
}

/** netstring framing of ctrl_tcp: `<length>:<json>,` */
class NetstringClient {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #pending = new Map<string, (reply: Record<string, unknown>) => void>();
  #token = 0;

  constructor(
    socket: Socket,
    private readonly onEvent: (data: Record<string, unknown>) => void,
  ) {
    this.#socket = socket;
    socket.on("data", (chunk) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
  }

  #drain(): void {
    for (;;) {
      const colon = this.#buffer.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.#buffer.toString("ascii", 0, colon));
      if (this.#buffer.length < colon + 1 + length + 1) return;
      const text = this.#buffer.toString("utf8", colon + 1, colon + 1 + length);
      this.#buffer = this.#buffer.subarray(colon + 1 + length + 1);
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (message.response === true && typeof message.token === "string") {
        this.#pending.get(message.token)?.(message);
        this.#pending.delete(message.token);
      } else if (message.event === true) {
        this.onEvent(message);
      }
    }
  }

  command(command: string, params?: string): Promise<Record<string, unknown>> {
    const token = String(++this.#token);
    const body = JSON.stringify({ command, params, token });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(token);
        reject(new BaresipError(`baresip did not answer ${command}`));
      }, 10_000);
      this.#pending.set(token, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.#socket.write(`${Buffer.byteLength(body)}:${body},`);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

export interface Phone {
  readonly name: string;
  readonly sipPort: number;
  /** This phone's SIP URI (ring it here). */
  readonly uri: string;
  readonly recDir: string;
  readonly logFile: string;
  events(): readonly PhoneEvent[];
  waitForEvent(type: string, after?: number, tries?: number): Promise<PhoneEvent>;
  dial(uri: string): Promise<void>;
  /** Answers the ringing call (a phone started with answer "manual"). */
  accept(): Promise<void>;
  hangup(): Promise<void>;
  /** Sends each digit as an RFC 2833 telephone-event on the current call. */
  sendDtmf(digits: string): Promise<void>;
  /** Recordings of calls so far, oldest first. */
  recordings(): Recording[];
  stop(): Promise<void>;
}

export async function startPhone(options: {
  dir: string;
  name: string;
  /** WAV played as the microphone (8 kHz mono 16-bit); make it longer than the call. */
  source: string;
  /** auto: answers every call (an agent phone); manual: only dials out. */
  answer?: "auto" | "manual";
}): Promise<Phone> {
  const dir = join(options.dir, `phone-${options.name}`);
  const recDir = join(dir, "rec");
  mkdirSync(recDir, { recursive: true });
  const sipPort = await freePort(3); // baresip also binds TLS on SIP port + 1
  const ctrlPort = await freePort();
  const rtp = await freeRange(20);
  writeFileSync(
    join(dir, "config"),
    [
      "poll_method epoll",
      `sip_listen 127.0.0.1:${sipPort}`,
      "net_interface 127.0.0.1",
      `rtp_ports ${rtp.start}-${rtp.end}`,
      "audio_player aubridge,nil",
      `audio_source aufile,${options.source}`,
      "audio_alert aubridge,nil",
      `module_path ${BARESIP_MODULES}`,
      "module g711.so",
      "module aufile.so",
      "module aubridge.so",
      "module sndfile.so",
      "module_tmp uuid.so",
      "module_tmp account.so",
      "module_app menu.so",
      "module_app ctrl_tcp.so",
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      `snd_path ${recDir}`,
      "",
    ].join("\n"),
  );
  const answermode = (options.answer ?? "auto") === "auto" ? "auto" : "manual";
  writeFileSync(
    join(dir, "accounts"),
    `<sip:${options.name}@127.0.0.1:${sipPort}>;regint=0;answermode=${answermode};audio_codecs=PCMU\n`,
  );
  const logFile = join(dir, "baresip.log");
  const proc = new ManagedProcess({
    name: `baresip-${options.name}`,
    command: "baresip",
    args: ["-f", dir],
    logFile,
    cwd: dir,
  });
  const events: PhoneEvent[] = [];
  const socket = await waitFor(`baresip ${options.name} control port ${ctrlPort} (log ${logFile})`, () => {
    if (!proc.running)
      throw new BaresipError(`baresip ${options.name} exited (${proc.exitCode}); see ${logFile}`);
    return new Promise<Socket | undefined>((resolve) => {
      const s = connect({ host: "127.0.0.1", port: ctrlPort }, () => resolve(s));
      s.once("error", () => resolve(undefined));
    });
  });
  const client = new NetstringClient(socket, (data) => {
    events.push({ type: String(data.type), at: Date.now(), data });
  });
  const command = async (name: string, params?: string) => {
    const reply = await client.command(name, params);
    if (reply.ok === false)
      throw new BaresipError(`baresip ${options.name}: ${name} failed: ${String(reply.data)}`);
  };
  return {
    name: options.name,
    sipPort,
    uri: `sip:${options.name}@127.0.0.1:${sipPort}`,
    recDir,
    logFile,
    events: () => events,
    waitForEvent: (type, after = 0, tries = 600) =>
      waitFor(`${options.name}: ${type}`, () => events.slice(after).find((e) => e.type === type), {
        tries,
        everyMs: 100,
      }),
    dial: (uri) => command("dial", uri),
    accept: () => command("accept"),
    hangup: () => command("hangup"),
    async sendDtmf(digits) {
      for (const digit of digits) await command("sndcode", digit);
    },
    recordings() {
      const files = readdirSync(recDir)
        .filter((f) => f.endsWith("-dec.wav"))
        .map((f) => ({ f, t: statSync(join(recDir, f)).mtimeMs }))
        .sort((a, b) => a.f.localeCompare(b.f) || a.t - b.t);
      return files.map(({ f }) => {
        const sent = f.replace(/-dec\.wav$/, "-enc.wav");
        return {
          heard: join(recDir, f),
          sent: readdirSync(recDir).includes(sent) ? join(recDir, sent) : undefined,
        };
      });
    },
    async stop() {
      client.close();
      await proc.stop("SIGTERM", 3_000);
    },
  };
}
