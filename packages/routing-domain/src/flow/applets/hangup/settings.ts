// The Hangup applet's settings, as a flow holds them (the module that runs them is index.ts).

export interface HangupApplet {
  readonly kind: "hangup";
}
