import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertE164,
  assertSipUri,
  assertTimeZone,
  fnv1a,
  InvalidPhoneNumberError,
  InvalidSipUriError,
  InvalidTimeZoneError,
  isE164,
  isSipUri,
  periodKey,
  tieBreakHash,
} from "../src/index.js";

/**
 * Issue 16, the shared values (shared/period.ts, validation.ts, hash.ts): the calls-handled period Least Calls
 * counts in, which numbers and SIP URIs an admin may configure, and the tie-break hash recorded decisions are
 * replayed with.
 */

/** ISO 8601 week of a calendar date, by the textbook method (the Thursday of its week decides the year). */
function isoWeek(y: number, m: number, d: number): string {
  const date = new Date(Date.UTC(y, m - 1, d));
  const day = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - day);
  const year = date.getUTCFullYear();
  const start = Date.UTC(year, 0, 1);
  const week = Math.ceil(((date.getTime() - start) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

const HOUR = 3_600_000;

describe("the calls-handled period", () => {
  it("week: the ISO 8601 week of the local date, from 1900 to 2400 (a week's count starts on Monday)", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2400, 0, 1) }), (now) => {
        const d = new Date(now);
        expect(periodKey(now, "UTC", "week")).toBe(
          isoWeek(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("week: the years' edges, where the ISO year differs from the calendar year", () => {
    const key = (y: number, m: number, d: number) => periodKey(Date.UTC(y, m - 1, d, 12), "UTC", "week");
    expect(key(2024, 12, 30)).toBe("2025-W01");
    expect(key(2021, 1, 3)).toBe("2020-W53");
    expect(key(2021, 1, 4)).toBe("2021-W01");
    expect(key(2000, 2, 29)).toBe("2000-W09");
    expect(key(2100, 3, 1)).toBe("2100-W09");
    expect(key(1969, 12, 31)).toBe("1970-W01");
  });

  it("hour, day and month: two instants share a key exactly when they share that local hour, day or month", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.integer({ min: 0, max: 40 * 24 * HOUR }),
        (a, gap) => {
          const b = a + gap;
          const [da, db] = [new Date(a), new Date(b)];
          const same = (len: number) => da.toISOString().slice(0, len) === db.toISOString().slice(0, len);
          expect(periodKey(a, "UTC", "hour") === periodKey(b, "UTC", "hour")).toBe(same(13));
          expect(periodKey(a, "UTC", "day") === periodKey(b, "UTC", "day")).toBe(same(10));
          expect(periodKey(a, "UTC", "month") === periodKey(b, "UTC", "month")).toBe(same(7));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is counted on the account's wall clock: 23:30 UTC is already the next day, hour and month in Tokyo", () => {
    const now = Date.UTC(2026, 10, 30, 23, 30);
    expect(periodKey(now, "Asia/Tokyo", "hour")).toBe("2026-12-01T08");
    expect(periodKey(now, "Asia/Tokyo", "month")).toBe("2026-12");
    expect(periodKey(now, "America/New_York", "hour")).toBe("2026-11-30T18");
    expect(periodKey(Date.UTC(2026, 0, 5, 0, 0), "UTC", "hour")).toBe("2026-01-05T00");
  });
});

describe("numbers and SIP URIs an admin may configure", () => {
  it.each([
    ["+12", true],
    ["+442071838750", true],
    ["+123456789012345", true],
    ["+1234567890123456", false],
    ["+1", false],
    ["+0441234567", false],
    ["442071838750", false],
    ["+44 20 7183 8750", false],
    ["+4420718387a0", false],
    ["x+442071838750", false],
    ["+442071838750\n", false],
  ])("E.164 %j: %s", (number, ok) => {
    expect(isE164(number)).toBe(ok);
    if (ok) expect(() => assertE164(number, "f")).not.toThrow();
    else expect(() => assertE164(number, "f")).toThrow(InvalidPhoneNumberError);
  });

  it.each([
    ["sip:pbx.example.com", true],
    ["sips:desk@pbx.example.com", true],
    ["sip:desk@10.0.0.1:5060", true],
    ["sip:desk@pbx:5", true],
    ["sip:desk@pbx.example.com;transport=tcp;lr", true],
    ["sip:a.b_c~d!e$f&g'h(i)j*k+l,m;n=o%20p-q@h", true],
    ["sip:p", true],
    ["sip:desk@pbx.example.com:506000", false],
    ["sip:desk@-pbx.example.com", false],
    ["sip:desk@pbx.example.com-", false],
    ["sip:desk@pbx.example.com:", false],
    ["sip:desk@", false],
    ["sip:", false],
    ["tel:+14155550100", false],
    ["sip:de sk@pbx.example.com", false],
    ['sip:"desk"@pbx.example.com', false],
    ["sip:desk@pbx.example.com;x=<y>", false],
    ["sip:desk@pbx.example.com\r\nVia: evil", false],
    ["xsip:desk@pbx.example.com", false],
    [`sip:${"a".repeat(252)}`, true],
    [`sip:${"a".repeat(253)}`, false],
  ])("SIP URI %j: %s", (uri, ok) => {
    expect(isSipUri(uri)).toBe(ok);
    if (ok) expect(() => assertSipUri(uri, "f")).not.toThrow();
    else expect(() => assertSipUri(uri, "f")).toThrow(InvalidSipUriError);
  });

  it("the error names the field and the value the admin gave", () => {
    const error = (() => {
      try {
        assertE164("0800", "agent ann number");
      } catch (e) {
        return e as InvalidPhoneNumberError;
      }
    })();
    expect(error).toMatchObject({
      name: "InvalidPhoneNumberError",
      number: "0800",
      field: "agent ann number",
    });
    expect(() => assertTimeZone("Europe/Paris")).not.toThrow();
    expect(() => assertTimeZone("Mars/Olympus")).toThrow(InvalidTimeZoneError);
  });
});

describe("the tie-break hash recorded decisions are replayed with", () => {
  it("is FNV-1a (32 bit): the published test vectors, the same on every platform and release", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
    expect(tieBreakHash("seed", "ann")).toBe(fnv1a("seed:ann"));
  });
});
