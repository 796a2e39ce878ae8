// What `switchyard help` and the command dispatch need to know of the admin commands, without loading the
// gRPC client and the admin API they run on (see cli.ts: commands load their modules when they run).

export const ADMIN_COMMANDS = [
  "agents",
  "groups",
  "flows",
  "numbers",
  "audio",
  "calls",
  "queues",
  "apply",
  "export",
  "admin-token",
] as const;

export const ADMIN_USAGE = `admin commands (over the gRPC admin API; --server HOST:PORT / SWITCHYARD_SERVER / admin.server,
--token T / SWITCHYARD_TOKEN / admin.token; TLS: SWITCHYARD_TLS_CA / admin.tls.ca, and for mutual TLS
SWITCHYARD_TLS_CERT + SWITCHYARD_TLS_KEY / admin.tls.clientCert + clientKey; --json for scripts):
  agents [list [--filter F] | get ID | sign-in ID | sign-out ID | break ID [REASON] | end-break ID]
  groups [list | get ID]     flows [list | versions ID]     numbers [list]     queues [list | get GROUP]
  calls [list [--filter F] | get ID | replay ID | hangup ID | transfer ID (--agent B | --group G | --number E164) [--blind] [--caller-id business|caller|E164] | complete T | cancel T]
  audio [list | get ID | upload ID -f FILE --purpose hold-music|greeting|whisper [--name N] | download ID -f FILE | delete ID]
  calls --watch              follow calls, agents and queues live (Ctrl-C to stop)
  apply -f FILE [--dry-run]  show the changes from the current configuration to FILE and make them
  export [-f FILE]           the current configuration as contact-centre YAML (stdout without -f)
  admin-token --name N --role admin|supervisor|agent|readonly [--agent ID]   a new token and its config entry`;

export function isAdminCommand(command: string): boolean {
  return (ADMIN_COMMANDS as readonly string[]).includes(command);
}
