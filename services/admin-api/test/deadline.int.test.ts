// DEADLINE_EXCEEDED is honoured on the server, not only by the client: a request whose deadline passes while
// the server is still working on it appends nothing. The store below is the real PostgreSQL store with a gate
// on its reads (test plumbing, not a mock): the request is held before its write until the client has seen
// DEADLINE_EXCEEDED, then let go.
import { credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import {
  Agent,
  AgentServiceClient,
  type AudioFile,
  AudioFile_Purpose,
  AudioServiceClient,
} from "@switchyard/admin-proto";
import { CONFIG_STREAM } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminApi, start } from "../src/index.js";
import { call, type Harness, startHarness } from "./harness.js";

let h: Harness;
let api: AdminApi;
let client: AgentServiceClient;
let audio: AudioServiceClient;
let hold: Promise<void> | undefined;
/** Reads that reached the gate while it was closed: the server has the request in hand. */
let held = 0;
let appends = 0;
const gate = async () => {
  if (hold === undefined) return;
  held++;
  await hold;
};
const logged: Array<{ message: string; fields?: Record<string, unknown> }> = [];

beforeAll(async () => {
  h = await startHarness("deadline", { presence: false });
  const store = h.eventStore.store;
  api = await start({
    eventStore: {
      blobs: h.eventStore.blobs,
      store: {
        readStream: async (...a) => {
          await gate();
          return store.readStream(...a);
        },
        streamVersion: async (...a) => {
          await gate();
          return store.streamVersion(...a);
        },
        readAll: (...a) => store.readAll(...a),
        append: (...a) => {
          appends++;
          return store.append(...a);
        },
      },
    },
    bus: h.bus,
    authenticate: () => ({ actor: "test", role: "admin" }),
    log: (_level, message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }),
  });
  client = new AgentServiceClient(api.target, credentials.createInsecure());
  audio = new AudioServiceClient(api.target, credentials.createInsecure());
});
afterAll(async () => {
  client?.close();
  audio?.close();
  await api?.[Symbol.asyncDispose]();
  await h?.close();
});

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 3_000; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/**
 * Lets a held request go once its deadline has passed on the server too: the server counts a deadline from
 * when the request reached it (the timeout travels as time left), and under load that can be well after the
 * client gave up, so wait until the server holds it, then past its 200 ms.
 */
async function releaseAfterServerDeadline(release: () => void): Promise<void> {
  await until("the server to hold the request", () => held > 0);
  await new Promise((r) => setTimeout(r, 400));
  release();
  hold = undefined;
  held = 0;
}

describe("deadlines", () => {
  it("a request whose deadline passes before its write gets DEADLINE_EXCEEDED and appends nothing", async () => {
    const before = await h.eventStore.store.streamVersion(CONFIG_STREAM);
    let release!: () => void;
    hold = new Promise((r) => {
      release = r;
    });
    const error = await call(
      client,
      client.createAgent,
      { agentId: "late", agent: Agent.fromPartial({ displayName: "Late", phoneNumber: "+15550100" }) },
      new Metadata(),
      { deadline: new Date(Date.now() + 200) },
    ).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    // The server is still holding the request: let it go on to its write, which it must refuse.
    await releaseAfterServerDeadline(release);
    await until("the server to abandon the request", () =>
      logged.some((l) => l.message === "CreateAgent abandoned before it wrote anything"),
    );
    expect(logged.find((l) => l.message.startsWith("CreateAgent"))?.fields).toEqual({ why: "deadline" });
    expect(appends).toBe(0);
    expect(await h.eventStore.store.streamVersion(CONFIG_STREAM)).toBe(before);
  });

  it("an audio upload whose deadline passes before it is stored is refused and records nothing", async () => {
    let release!: () => void;
    hold = new Promise((r) => {
      release = r;
    });
    const error = await new Promise<ServiceError | undefined>((resolve) => {
      const stream = audio.uploadAudio(
        new Metadata(),
        { deadline: new Date(Date.now() + 200) },
        (e: ServiceError | null, _r?: AudioFile) => resolve(e ?? undefined),
      );
      stream.write({
        metadata: { audioId: "late", displayName: "Late", purpose: AudioFile_Purpose.PURPOSE_GREETING },
      });
      stream.write({ chunk: Buffer.concat([Buffer.from("RIFF\0\0\0\0WAVE", "latin1"), Buffer.alloc(32)]) });
      stream.end();
    });
    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    await releaseAfterServerDeadline(release);
    await until("the server to abandon the upload", () =>
      logged.some((l) => l.message === "UploadAudio abandoned before it wrote anything"),
    );
    expect(appends).toBe(0);
    expect(await h.eventStore.store.streamVersion("audio-late")).toBe(0);
  });

  it("a request within its deadline is written as usual", async () => {
    const created = await call(
      client,
      client.createAgent,
      { agentId: "prompt", agent: Agent.fromPartial({ displayName: "Prompt", phoneNumber: "+15550101" }) },
      new Metadata(),
      { deadline: new Date(Date.now() + 30_000) },
    );
    expect(created.name).toBe("agents/prompt");
    expect(appends).toBe(1);
  });
});
