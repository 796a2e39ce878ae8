/// <reference lib="esnext.disposable" />
// The admin API service: `start(config)` binds the gRPC server and reports SERVING once it listens.
import { ServerCredentials } from "@grpc/grpc-js";
import { type AdminServerConfig, bind, buildServer, ensurePorts, SERVICE_NAMES } from "./server.js";

export { dialPolicyFromPb, dialPolicyPb } from "./account.js";
export { agentDefinitionPb } from "./agents.js";
export {
  type AuthSettings,
  authenticator,
  hashToken,
  newToken,
  PermissionDeniedError,
  ROLES,
  type Role,
  type TokenEntry,
  UnauthenticatedError,
} from "./auth.js";
export { ConfigStore } from "./config-store.js";
export type { Caller } from "./context.js";
export * from "./errors.js";
export { fromFlowSpec, toFlowSpec } from "./flow-spec.js";
export { groupDefinitionPb, strategyFromPb } from "./groups.js";
export { type AdminLog, type AdminServerConfig, type Authenticator, SERVICE_NAMES } from "./server.js";
export {
  type AdminSettings,
  AdminSettingsError,
  DEFAULT_ADMIN_LISTEN,
  loadAdminSettings,
} from "./settings.js";
export { statusDetails, toServiceError } from "./status.js";

export interface AdminApiConfig extends AdminServerConfig {
  /** host:port to listen on; port 0 picks a free one. Default 127.0.0.1:0. */
  readonly address?: string;
  /** Default: insecure (plain TCP). */
  readonly credentials?: ServerCredentials;
}

export interface AdminApi extends AsyncDisposable {
  /** The port the server listens on. */
  readonly port: number;
  /** host:port clients connect to. */
  readonly target: string;
}

export async function start(config: AdminApiConfig): Promise<AdminApi> {
  await ensurePorts(config.bus);
  const { server, health, endWatches } = buildServer(config);
  const address = config.address ?? "127.0.0.1:0";
  const port = await bind(server, address, config.credentials ?? ServerCredentials.createInsecure());
  health.setStatus("", "SERVING");
  for (const name of SERVICE_NAMES) health.setStatus(name, "SERVING");
  const host = address.slice(0, address.lastIndexOf(":"));
  return {
    port,
    target: `${host}:${port}`,
    [Symbol.asyncDispose]: async () => {
      health.setStatus("", "NOT_SERVING");
      endWatches();
      await new Promise<void>((resolve) =>
        server.tryShutdown(() => {
          resolve();
        }),
      );
      server.forceShutdown();
    },
  };
}
