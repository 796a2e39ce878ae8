// Every applet kind, by kind. The `Applet` union (flow/model.ts) lists their settings types.
import type { Applet, AppletKind } from "../model.js";
import type { AppletModule } from "./applet.js";
import { connect } from "./connect/index.js";
import { greeting } from "./greeting/index.js";
import { hangup } from "./hangup/index.js";
import { ivrMenu } from "./ivr-menu/index.js";
import { timeCondition } from "./time-condition/index.js";
import { voicemail } from "./voicemail/index.js";

const APPLETS: { readonly [K in AppletKind]: AppletModule<Extract<Applet, { kind: K }>> } = {
  greeting,
  ivrMenu,
  connect,
  voicemail,
  hangup,
  timeCondition,
};

/** The module of an applet kind (typed for any applet: each module is only handed applets of its kind). */
export function appletModule(kind: AppletKind): AppletModule<Applet> {
  return APPLETS[kind] as unknown as AppletModule<Applet>;
}

export const APPLET_KINDS = Object.keys(APPLETS) as AppletKind[];
