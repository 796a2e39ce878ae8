import { describe, expect, it } from "vitest";
import { ConfigError, loadRuntimeConfig } from "../src/index.js";

const SIP = `
sip:
  domain: calls.example.com
  drachtio: { host: 10.0.0.5, port: 9022, secret: s3cret }
  freeswitch: { address: 10.0.0.6, port: 8021, password: pw }
  trunks:
    - { name: carrier, sources: [203.0.113.0/24, 198.51.100.7], perSource: { maxCalls: 300, maxCallsPerSec: 40 } }
    - { name: backup, sources: "2001:db8::/32" }
  outboundGateway: 203.0.113.10:5060
  mediaDir: /var/lib/sy/media
  dtmf: { start: "*7", complete: "*8", cancel: "*9" }
  transferTargets: { "200": "group:support", "100": "agent:ann", "9": "+15550100" }
  phones:
    - { username: ann, password: ann-pw }
    - { username: bob, passwordEnv: BOB_SIP_PASSWORD }
  digest: { realm: calls.example.com, algorithm: SHA-256, sources: [10.1.0.0/16, "2001:db8::/48"] }
  admission: { maxCalls: 200, maxCallsPerSec: 25, maxWaitingForMedia: 40, perSource: { maxCalls: 20, maxCallsPerSec: 2.5 }, maxSources: 5000 }
  agentOffer: early
  mediaRelease: afterBridge
  endpointsInFlight: 8
`;

const files: Record<string, string> = {
  "sip.yaml": SIP,
  "listen.yaml": "sip:\n  drachtio: { listenPort: 3001, routeHandlerPort: 3002 }\n",
  "outbound.yaml":
    "sip:\n  drachtio: { host: h, port: 9022 }\n  freeswitch: { control: outbound }\n  allowAnySource: true\n",
  "badcontrol.yaml":
    "sip:\n  drachtio: { host: h, port: 9022 }\n  freeswitch: { control: sometimes }\n  allowAnySource: true\n",
  "bad.yaml":
    "sip:\n  drachtio: { host: h, port: 99999, listenPort: 3001 }\n  trunks: [{ sources: [not-an-ip], perSource: { maxCallsPerSec: 0 } }]\n  dtmf: { start: '*x' }\n  transferTargets: { '1': 'room:5' }\n  callerIdHeaders: both-ways\n  admission: { maxCalls: 0, maxCallsPerSec: lots, maxWaitingForMedia: -2, perSource: { maxCalls: -1 } }\n  agentOffer: sometimes\n  mediaRelease: always\n  phones: [{ username: 'a b', password: p }, { username: c, passwordEnv: UNSET_PW_VAR }, { username: d }]\n  digest: { algorithm: SHA-512 }\n",
  "nodrachtio.yaml": "sip:\n  domain: x\n",
};
const readFile = (p: string) => files[p] ?? "";

describe("sip configuration", () => {
  it("is absent without drachtio settings: the gateway runs the simulated driver", () => {
    expect(loadRuntimeConfig({ flags: {}, env: {}, readFile }).sip).toBeUndefined();
  });

  it("reads the sip section: connect mode, FreeSWITCH, trunks, DTMF codes, transfer short codes", () => {
    const c = loadRuntimeConfig({
      flags: { config: "sip.yaml" },
      env: { BOB_SIP_PASSWORD: "bob-pw" },
      readFile,
    });
    expect(c.sip).toEqual({
      drachtio: { mode: "connect", host: "10.0.0.5", port: 9022, secret: "s3cret" },
      freeswitch: {
        address: "10.0.0.6",
        port: 8021,
        password: "pw",
        listenAddress: "127.0.0.1",
        control: "parked",
      },
      domain: "calls.example.com",
      callerIdHeaders: "both",
      trunks: [
        {
          name: "carrier",
          sources: ["203.0.113.0/24", "198.51.100.7"],
          perSource: { maxCalls: 300, maxCallsPerSec: 40 },
        },
        { name: "backup", sources: ["2001:db8::/32"] },
      ],
      outboundGateway: "203.0.113.10:5060",
      mediaDir: "/var/lib/sy/media",
      dtmf: { start: "*7", complete: "*8", cancel: "*9", terminator: "#" },
      transferTargets: { "200": "group:support", "100": "agent:ann", "9": "+15550100" },
      phones: [
        { username: "ann", password: "ann-pw" },
        { username: "bob", password: "bob-pw" },
      ],
      allowAnySource: false,
      digest: {
        realm: "calls.example.com",
        algorithm: "SHA-256",
        sources: ["10.1.0.0/16", "2001:db8::/48"],
      },
      admission: {
        maxCalls: 200,
        maxCallsPerSec: 25,
        maxWaitingForMedia: 40,
        perSource: { maxCalls: 20, maxCallsPerSec: 2.5 },
        maxSources: 5000,
      },
      agentOffer: "early",
      mediaRelease: "afterBridge",
      endpointsInFlight: 8,
    });
  });

  it("flags win over environment over the file", () => {
    const c = loadRuntimeConfig({
      flags: { config: "sip.yaml", drachtio: "127.0.0.1:7000", "freeswitch-password": "flagpw" },
      env: {
        SWITCHYARD_DRACHTIO: "127.0.0.2:8000",
        SWITCHYARD_DRACHTIO_SECRET: "envsecret",
        BOB_SIP_PASSWORD: "bob-pw",
      },
      readFile,
    });
    expect(c.sip?.drachtio).toEqual({ mode: "connect", host: "127.0.0.1", port: 7000, secret: "envsecret" });
    expect(c.sip?.freeswitch.password).toBe("flagpw");
    const fromFlags = loadRuntimeConfig({ flags: { drachtio: "127.0.0.1:9022" }, env: {}, readFile });
    expect(fromFlags.sip?.freeswitch).toMatchObject({
      address: "127.0.0.1",
      port: 8021,
      password: "ClueCon",
    });
    expect(fromFlags.sip?.mediaDir).toBe("switchyard-media");
    // Admission control and the agent offer default to the driver's own (500 calls, late offer).
    expect(fromFlags.sip).toMatchObject({
      admission: {},
      agentOffer: "late",
      mediaRelease: "off",
      endpointsInFlight: undefined,
    });
  });

  it("listen mode: drachtio-server connects to the app", () => {
    const c = loadRuntimeConfig({ flags: { config: "listen.yaml" }, env: {}, readFile });
    expect(c.sip).toMatchObject({ trunks: [], phones: [], digest: {} });
    expect(c.sip?.drachtio).toEqual({
      mode: "listen",
      host: "127.0.0.1",
      port: 3001,
      secret: "cymru",
      routeHandlerPort: 3002,
    });
  });

  it("a SIP edge with no trunks or phones is closed unless sip.allowAnySource (or its variable) opens it", () => {
    const closed = loadRuntimeConfig({ flags: { config: "listen.yaml" }, env: {}, readFile });
    expect(closed.sip?.allowAnySource).toBe(false);
    const byEnv = loadRuntimeConfig({
      flags: { config: "listen.yaml" },
      env: { SWITCHYARD_SIP_ALLOW_ANY_SOURCE: "1" },
      readFile,
    });
    expect(byEnv.sip?.allowAnySource).toBe(true);
    const open = loadRuntimeConfig({
      flags: { config: "open.yaml" },
      env: {},
      readFile: (p) =>
        p === "open.yaml" ? "sip:\n  drachtio: { host: h, port: 9022 }\n  allowAnySource: true\n" : "",
    });
    expect(open.sip?.allowAnySource).toBe(true);
    expect(() =>
      loadRuntimeConfig({
        flags: { config: "odd.yaml" },
        env: {},
        readFile: (p) =>
          p === "odd.yaml" ? "sip:\n  drachtio: { host: h, port: 9022 }\n  allowAnySource: yes-please\n" : "",
      }),
    ).toThrow(/sip\.allowAnySource/);
  });

  it("FreeSWITCH endpoints are parked by default; `control: outbound` keeps drachtio-fsmrf's own way", () => {
    const parked = loadRuntimeConfig({ flags: { config: "listen.yaml" }, env: {}, readFile });
    expect(parked.sip?.freeswitch.control).toBe("parked");
    const outbound = loadRuntimeConfig({ flags: { config: "outbound.yaml" }, env: {}, readFile });
    expect(outbound.sip?.freeswitch.control).toBe("outbound");
    expect(() => loadRuntimeConfig({ flags: { config: "badcontrol.yaml" }, env: {}, readFile })).toThrow(
      /sip\.freeswitch\.control.*parked or outbound/s,
    );
  });

  it("lists every problem of the section", () => {
    let err: unknown;
    try {
      loadRuntimeConfig({ flags: { config: "bad.yaml" }, env: {}, readFile });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "sip.drachtio",
        "sip.trunks[0].name",
        "sip.trunks[0].sources",
        "sip.trunks[0].perSource.maxCallsPerSec",
        "sip.dtmf.start",
        "sip.transferTargets.1",
        "sip.callerIdHeaders",
        "sip.admission.maxCalls",
        "sip.admission.maxCallsPerSec",
        "sip.admission.maxWaitingForMedia",
        "sip.admission.perSource.maxCalls",
        "sip.agentOffer",
        "sip.mediaRelease",
        "sip.phones[0].username",
        "sip.phones[1].passwordEnv",
        "sip.phones[2].password",
        "sip.digest.algorithm",
      ]),
    );
    // A phone password is a secret: no problem quotes one.
    expect(JSON.stringify((err as ConfigError).problems)).not.toContain('"p"');
    expect(() => loadRuntimeConfig({ flags: { config: "nodrachtio.yaml" }, env: {}, readFile })).toThrow(
      /sip\.drachtio: the sip section needs drachtio\.host/,
    );
  });
});
