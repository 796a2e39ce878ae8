// A publisher on a thread of its own (its own event loop): told "go", it waits `afterMs` and publishes one
// message through JetStream, so the message reaches the server while the main thread's event loop is blocked.
import { parentPort, workerData } from "node:worker_threads";
import { connect, headers, JSONCodec } from "nats";

const { url, subject, afterMs } = workerData;
const nc = await connect({ servers: url, name: "publish-worker" });
const js = nc.jetstream();
const codec = JSONCodec();
parentPort.on("message", async (message) => {
  if (message === "close") {
    await nc.close();
    parentPort.close();
    return;
  }
  await new Promise((r) => setTimeout(r, afterMs));
  const h = headers();
  await js.publish(subject, codec.encode(message.payload), { msgID: message.msgId, headers: h });
  parentPort.postMessage("published");
});
parentPort.postMessage("ready");
