// Hostile input at every edge: strings built from what breaks SIP headers, FreeSWITCH commands, shells and
// logs (CR/LF, NUL, `;`, `<`, `>`, `"`, `${}`, `'`, `&`, over-long values) are refused or neutralised by the
// call-input and leg-command decoders, the gateway's SIP edge (inbound caller numbers, outbound caller ids,
// Request-URIs), the domain's number/URI rules and the contact-centre loader.

import { ContactCentreConfigError, parseContactCentre } from "@switchyard/contact-centre";
import {
  decodeCallInputMessage,
  decodeLegCommandMessage,
  MalformedMessageError,
} from "@switchyard/contracts";
import { callerIdUri, contactUri, uriUser } from "@switchyard/media-gateway";
import { dialRefusal, isE164, isSipUri } from "@switchyard/routing-domain";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const NASTY = [
  "\r\n",
  "\n",
  "\r",
  "\u0000",
  ";",
  "<",
  ">",
  '"',
  `$${"{"}jndi:x}`,
  "'",
  "&",
  " ",
  "\t",
  "\\",
  "%0d%0a",
  "|",
  "`",
];
/** Strings that look almost legitimate, with injection fragments spliced in (and sometimes very long). */
const hostile = fc
  .tuple(
    fc.constantFrom("+14155550100", "sip:ana@pbx.example", "alice", "4420", ""),
    fc.array(fc.constantFrom(...NASTY), { minLength: 1, maxLength: 4 }),
    fc.string({ maxLength: 12 }),
    fc.nat({ max: 3000 }),
  )
  .map(([base, bad, tail, pad]) => `${base}${bad.join("")}${tail}${pad > 2900 ? "9".repeat(pad) : ""}`);

const controlCharacter = (v: string) =>
  [...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const HEADER_SAFE = /^sips?:[A-Za-z0-9+*#._~-]{1,64}@[A-Za-z0-9.-]+(?::\d{1,5})?$/;

describe("hostile input", () => {
  it("decoders refuse control characters and over-long values in any text field of a message", () => {
    fc.assert(
      fc.property(hostile, fc.constantFrom("from", "to", "callId", "legId", "digit"), (value, field) => {
        const input =
          field === "from" || field === "to" || field === "callId"
            ? { type: "StartCall", callId: "c", from: "+1", to: "+2", [field]: value }
            : field === "legId"
              ? { type: "LegAnswered", legId: value }
              : { type: "DtmfReceived", digit: value };
        const message = { messageId: "m", callId: field === "callId" ? value : "c", at: 1, input };
        try {
          const decoded = decodeCallInputMessage(message);
          const got = String((decoded.input as unknown as Record<string, unknown>)[field]);
          expect(controlCharacter(got) || got.length > 2048).toBe(false);
        } catch (e) {
          expect(e).toBeInstanceOf(MalformedMessageError);
        }
      }),
    );
  });

  it("an originate's caller id and contact never carry control characters past the decoder", () => {
    fc.assert(
      fc.property(hostile, hostile, (callerId, uri) => {
        const message = {
          commandId: "k",
          callId: "c",
          callerLegId: "l0",
          at: 1,
          command: { kind: "originate", legId: "l", callerId, timeoutSec: 20, to: { kind: "sip", uri } },
        };
        try {
          decodeLegCommandMessage(message);
          expect(controlCharacter(callerId) || controlCharacter(uri)).toBe(false);
        } catch (e) {
          expect(e).toBeInstanceOf(MalformedMessageError);
        }
      }),
    );
  });

  it("the SIP edge: a caller's number from the network is reduced to safe characters", () => {
    fc.assert(
      fc.property(hostile, (from) => {
        for (const header of [from, `"${from}" <sip:${from}@evil.example>;tag=1`, `<tel:${from}>`]) {
          expect(uriUser(header)).toMatch(/^[A-Za-z0-9+*#._~-]{1,64}$/);
        }
      }),
    );
    expect(uriUser('"Bob" <sip:+14155550100@carrier.example;user=phone>;tag=9')).toBe("+14155550100");
    expect(uriUser("<sip:%2B4420%0D%0AX-Evil:1@h>")).toBe("+4420X-Evil1");
  });

  it("the SIP edge: a caller id written into From/PAI is a plain URI or anonymous", () => {
    fc.assert(
      fc.property(hostile, (callerId) => {
        const uri = callerIdUri(callerId, "pbx.example");
        expect(uri).toMatch(HEADER_SAFE);
      }),
    );
    expect(callerIdUri("+14155550100", "pbx.example")).toBe("sip:+14155550100@pbx.example");
    expect(callerIdUri("sip:ana@pbx.example", "x")).toBe("sip:ana@pbx.example");
  });

  it("the SIP edge: a Request-URI is never built from a URI that could break out of it", () => {
    fc.assert(
      fc.property(hostile, (uri) => {
        try {
          const built = contactUri({ kind: "sip", uri }, undefined);
          expect(/[\s<>"]/.test(built) || controlCharacter(built)).toBe(false);
        } catch (e) {
          expect((e as Error).name).toBe("UnsafeSipUriError");
        }
      }),
    );
  });

  it("the domain: no injection string is an E.164 number or a SIP URI, and none may be dialled", () => {
    fc.assert(
      fc.property(hostile, (value) => {
        if (NASTY.some((n) => n.trim() !== "" && value.includes(n)) || /\s/.test(value)) {
          expect(isE164(value)).toBe(false);
          if (/[\s<>"\\`|]/.test(value) || controlCharacter(value)) expect(isSipUri(value)).toBe(false);
        }
        if (!isE164(value)) expect(dialRefusal(value, undefined)).toBeDefined();
      }),
    );
  });

  it("the contact-centre loader refuses such values in numbers, phones, SIP contacts and caller ids", () => {
    fc.assert(
      fc.property(
        hostile.filter((v) => /[<>"\s;]/.test(v) || controlCharacter(v)),
        fc.constantFrom("phone", "sip", "number", "callerId"),
        (value, where) => {
          const quoted = JSON.stringify(value);
          const agent =
            where === "sip"
              ? `{ id: a, name: A, sip: ${quoted} }`
              : `{ id: a, name: A, phone: ${where === "phone" ? quoted : '"+14155550111"'} }`;
          const number = where === "number" ? quoted : '"+14155550100"';
          const callerId = where === "callerId" ? `, callerId: { custom: ${quoted} }` : "";
          const yaml = `
account: { businessNumbers: ["+14155550100"] }
agents: [${agent}]
groups: [{ id: g, name: G, strategy: round-robin, members: [a] }]
numbers: [{ number: ${number}, flow: f }]
flows:
  - { id: f, name: F, start: c, applets: { c: { type: connect, target: { group: g }${callerId} } } }
`;
          expect(() => parseContactCentre(yaml, "centre.yaml")).toThrow(ContactCentreConfigError);
        },
      ),
      { numRuns: 300 },
    );
  });
});
