// The SIP test rig: drachtio-server, FreeSWITCH, sipp and baresip on private loopback ports (see ../README.md).
export * from "./audio.js";
export * from "./baresip.js";
export * from "./drachtio.js";
export * from "./freeswitch.js";
export * from "./media-server.js";
export * from "./ports.js";
export * from "./processes.js";
export * from "./sipp.js";
export * from "./telephony.js";
export * from "./tools.js";
