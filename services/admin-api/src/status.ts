// The gRPC edge's error mapping: every failure becomes a status code and a google.rpc.Status (in the
// `grpc-status-details-bin` trailer) with ErrorInfo and, where they apply, BadRequest, PreconditionFailure
// or ResourceInfo. Nothing else in the service knows about status codes.
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { BadRequest, ErrorInfo, PreconditionFailure, ResourceInfo, Status } from "@switchyard/admin-proto";
import { WrongExpectedVersionError } from "@switchyard/event-store";
import {
  ConfigInUseError,
  FlowValidationError,
  InvalidAgentTransitionError,
  InvalidPhoneNumberError,
  InvalidSettingError,
  InvalidSipUriError,
  InvalidTimeZoneError,
  RoutingDomainError,
  UnknownAgentError,
  UnknownFlowError,
  UnknownGroupError,
  UnknownNumberError,
} from "@switchyard/routing-domain";
import { PermissionDeniedError, UnauthenticatedError } from "./auth.js";
import {
  ConcurrentWriteError,
  EtagMismatchError,
  InvalidRequestError,
  PreconditionError,
  RequestAbandonedError,
  ResourceExistsError,
  ResourceNotFoundError,
  TooLargeError,
} from "./errors.js";

export const ERROR_DOMAIN = "switchyard.admin.v1";

type Detail = { readonly typeUrl: string; readonly value: Uint8Array };
const any = (type: string, value: Uint8Array): Detail => ({ typeUrl: `type.googleapis.com/${type}`, value });

const snake = (name: string): string =>
  name
    .replace(/Error$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase();

interface Mapped {
  readonly code: status;
  readonly message: string;
  readonly reason: string;
  readonly metadata?: Record<string, string>;
  readonly details?: readonly Detail[];
}

const badRequest = (violations: ReadonlyArray<{ field: string; description: string; reason: string }>) =>
  any(
    "google.rpc.BadRequest",
    BadRequest.encode(
      BadRequest.fromPartial({ fieldViolations: violations.map((v) => ({ ...v })) }),
    ).finish(),
  );

const preconditionFailure = (
  violations: ReadonlyArray<{ type: string; subject: string; description: string }>,
) =>
  any(
    "google.rpc.PreconditionFailure",
    PreconditionFailure.encode(
      PreconditionFailure.fromPartial({ violations: violations.map((v) => ({ ...v })) }),
    ).finish(),
  );

const resourceInfo = (resourceType: string, resourceName: string, description: string) =>
  any(
    "google.rpc.ResourceInfo",
    ResourceInfo.encode(ResourceInfo.fromPartial({ resourceType, resourceName, description })).finish(),
  );

function classify(error: unknown): Mapped {
  if (error instanceof UnauthenticatedError)
    return { code: status.UNAUTHENTICATED, message: error.message, reason: "UNAUTHENTICATED" };
  if (error instanceof PermissionDeniedError)
    return {
      code: status.PERMISSION_DENIED,
      message: error.message,
      reason: "PERMISSION_DENIED",
      metadata: { permission: error.permission },
    };
  if (error instanceof RequestAbandonedError)
    return error.why === "deadline"
      ? { code: status.DEADLINE_EXCEEDED, message: error.message, reason: "DEADLINE_EXCEEDED" }
      : { code: status.CANCELLED, message: error.message, reason: "CANCELLED" };
  if (error instanceof InvalidRequestError)
    return {
      code: status.INVALID_ARGUMENT,
      message: error.message,
      reason: "INVALID_REQUEST",
      details: [badRequest(error.violations)],
    };
  if (error instanceof ResourceNotFoundError)
    return {
      code: status.NOT_FOUND,
      message: error.message,
      reason: "NOT_FOUND",
      details: [resourceInfo(error.resourceType, error.resourceName, "not found")],
    };
  if (error instanceof ResourceExistsError)
    return {
      code: status.ALREADY_EXISTS,
      message: error.message,
      reason: "ALREADY_EXISTS",
      details: [resourceInfo(error.resourceType, error.resourceName, "already exists")],
    };
  if (error instanceof EtagMismatchError)
    return {
      code: status.ABORTED,
      message: error.message,
      reason: "ETAG_MISMATCH",
      metadata: { resource: error.resourceName, etag: error.actual },
      details: [
        preconditionFailure([{ type: "ETAG", subject: error.resourceName, description: error.message }]),
      ],
    };
  if (error instanceof ConcurrentWriteError || error instanceof WrongExpectedVersionError)
    return { code: status.ABORTED, message: error.message, reason: "CONCURRENT_WRITE" };
  if (error instanceof TooLargeError)
    return {
      code: status.RESOURCE_EXHAUSTED,
      message: error.message,
      reason: "TOO_LARGE",
      metadata: { limit_bytes: String(error.limitBytes) },
    };
  if (error instanceof PreconditionError)
    return {
      code: status.FAILED_PRECONDITION,
      message: error.message,
      reason: "FAILED_PRECONDITION",
      details: [preconditionFailure(error.violations)],
    };
  // Domain failures the edge validation did not catch first.
  if (error instanceof FlowValidationError)
    return {
      code: status.INVALID_ARGUMENT,
      message: error.message,
      reason: "INVALID_FLOW",
      details: [
        badRequest(
          error.issues.map((i) => ({
            field: `applets["${i.appletId}"]`,
            description: i.message,
            reason: snake(i.code),
          })),
        ),
      ],
    };
  if (
    error instanceof InvalidPhoneNumberError ||
    error instanceof InvalidSipUriError ||
    error instanceof InvalidSettingError ||
    error instanceof InvalidTimeZoneError
  ) {
    const field =
      error instanceof InvalidSettingError
        ? error.setting
        : error instanceof InvalidTimeZoneError
          ? "time_zone"
          : error.field;
    return {
      code: status.INVALID_ARGUMENT,
      message: error.message,
      reason: snake(error.name),
      details: [badRequest([{ field, description: error.message, reason: snake(error.name) }])],
    };
  }
  if (
    error instanceof UnknownAgentError ||
    error instanceof UnknownGroupError ||
    error instanceof UnknownFlowError ||
    error instanceof UnknownNumberError
  )
    return { code: status.NOT_FOUND, message: error.message, reason: snake(error.name) };
  if (error instanceof ConfigInUseError)
    return {
      code: status.FAILED_PRECONDITION,
      message: error.message,
      reason: "IN_USE",
      details: [
        preconditionFailure(
          error.usedBy.map((u) => ({ type: "IN_USE", subject: u, description: `uses ${error.what}` })),
        ),
      ],
    };
  if (error instanceof InvalidAgentTransitionError)
    return {
      code: status.FAILED_PRECONDITION,
      message: error.message,
      reason: "INVALID_AGENT_TRANSITION",
      details: [
        preconditionFailure([{ type: "AGENT_STATUS", subject: "agent", description: error.message }]),
      ],
    };
  if (error instanceof RoutingDomainError)
    return { code: status.FAILED_PRECONDITION, message: error.message, reason: snake(error.name) };
  return { code: status.INTERNAL, message: "internal error", reason: "INTERNAL" };
}

/** A ServiceError for grpc-js: code, message, and the google.rpc.Status with details in the trailer. */
export function toServiceError(error: unknown): ServiceError & { readonly internal: boolean } {
  const mapped = classify(error);
  const info = any(
    "google.rpc.ErrorInfo",
    ErrorInfo.encode(
      ErrorInfo.fromPartial({ reason: mapped.reason, domain: ERROR_DOMAIN, metadata: mapped.metadata ?? {} }),
    ).finish(),
  );
  const details = [info, ...(mapped.details ?? [])];
  const metadata = new Metadata();
  metadata.set(
    "grpc-status-details-bin",
    Buffer.from(
      Status.encode(
        Status.fromPartial({
          code: mapped.code,
          message: mapped.message,
          details: details.map((d) => ({ typeUrl: d.typeUrl, value: Buffer.from(d.value) })),
        }),
      ).finish(),
    ),
  );
  const serviceError = Object.assign(new Error(mapped.message), {
    code: mapped.code,
    details: mapped.message,
    metadata,
    internal: mapped.code === status.INTERNAL,
  });
  return serviceError;
}

/** Reads the google.rpc.Status a server sent (clients and tests). */
export function statusDetails(error: { metadata?: Metadata }): {
  status?: Status;
  errorInfo?: ErrorInfo;
  badRequest?: BadRequest;
  preconditionFailure?: PreconditionFailure;
} {
  const raw = error.metadata?.get("grpc-status-details-bin")[0];
  if (raw === undefined || typeof raw === "string") return {};
  const decoded = Status.decode(raw);
  const find = (type: string) =>
    decoded.details.find((d) => d.typeUrl === `type.googleapis.com/${type}`)?.value;
  const info = find("google.rpc.ErrorInfo");
  const bad = find("google.rpc.BadRequest");
  const pre = find("google.rpc.PreconditionFailure");
  return {
    status: decoded,
    ...(info ? { errorInfo: ErrorInfo.decode(info) } : {}),
    ...(bad ? { badRequest: BadRequest.decode(bad) } : {}),
    ...(pre ? { preconditionFailure: PreconditionFailure.decode(pre) } : {}),
  };
}
