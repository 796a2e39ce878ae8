// The admin API's generated TypeScript (ts-proto for @grpc/grpc-js, from proto/ at build time: `pnpm
// generate`), re-exported under one name, and the descriptor set server reflection serves.
import { readFileSync } from "node:fs";

export * from "./gen/google/rpc/error_details.js";
export * from "./gen/google/rpc/status.js";
export * from "./gen/switchyard/admin/v1/account.js";
export * from "./gen/switchyard/admin/v1/agents.js";
export * from "./gen/switchyard/admin/v1/audio.js";
export * from "./gen/switchyard/admin/v1/audio_files.js";
export * from "./gen/switchyard/admin/v1/calls.js";
export * from "./gen/switchyard/admin/v1/flows.js";
export * from "./gen/switchyard/admin/v1/groups.js";
export * from "./gen/switchyard/admin/v1/numbers.js";
export * from "./gen/switchyard/admin/v1/queues.js";

/** The encoded FileDescriptorSet of every admin API file and its imports (`buf build`). */
export function adminDescriptorSet(): Buffer {
  return readFileSync(new URL("./gen/descriptor.binpb", import.meta.url));
}
