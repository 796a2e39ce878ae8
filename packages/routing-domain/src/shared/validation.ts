import { RoutingDomainError } from "./errors.js";

// E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
const E164 = /^\+[1-9]\d{1,14}$/;
// sip:/sips: URIs with an optional user part, a host and optional port and parameters (RFC 3261's
// unreserved and parameter characters only: no quotes, brackets, spaces or control characters, which could
// end the header or the URI they are written into), at most 256 characters.
const SIP_URI =
  /^(?=.{1,256}$)sips?:(?:[A-Za-z0-9._~!$&'()*+,;=%-]+@)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?(?:;[A-Za-z0-9._~!$&'()*+=%:[\]/-]+)*$/;

export const isE164 = (value: string): boolean => E164.test(value);
export const isSipUri = (value: string): boolean => SIP_URI.test(value);

export class InvalidPhoneNumberError extends RoutingDomainError {
  override readonly name = "InvalidPhoneNumberError";
  constructor(
    readonly number: string,
    readonly field: string,
  ) {
    super(`${field}: "${number}" is not an E.164 number (+ and country code, up to 15 digits)`);
  }
}

export class InvalidSipUriError extends RoutingDomainError {
  override readonly name = "InvalidSipUriError";
  constructor(
    readonly uri: string,
    readonly field: string,
  ) {
    super(`${field}: "${uri}" is not a SIP URI (sip:user@host)`);
  }
}

export class InvalidTimeZoneError extends RoutingDomainError {
  override readonly name = "InvalidTimeZoneError";
  constructor(
    readonly timeZone: string,
    options?: { cause?: unknown },
  ) {
    super(`"${timeZone}" is not an IANA time zone`, options);
  }
}

export function assertE164(number: string, field: string): void {
  if (!isE164(number)) throw new InvalidPhoneNumberError(number, field);
}

export function assertSipUri(uri: string, field: string): void {
  if (!isSipUri(uri)) throw new InvalidSipUriError(uri, field);
}

/** Intl is pure (no clock, no IO): an unknown zone throws a RangeError. */
export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch (cause) {
    throw new InvalidTimeZoneError(timeZone, { cause });
  }
}

/** An IANA time zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    assertTimeZone(timeZone);
    return true;
  } catch {
    return false;
  }
}
