import {
  type AppletRun,
  type CallbackRun,
  type CallEvent,
  type CallState,
  type ConnectRun,
  INITIAL_CALL,
  type LegInfo,
  type TransferRun,
} from "./types.js";

const omit = <T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> => {
  const copy = { ...value };
  for (const k of keys) delete copy[k];
  return copy;
};

function withLeg(state: CallState, legId: string, patch: Partial<LegInfo>): CallState {
  const leg = state.legs[legId];
  if (!leg) return state;
  return { ...state, legs: { ...state.legs, [legId]: { ...leg, ...patch } } };
}

function withConnect(state: CallState, patch: (run: ConnectRun) => ConnectRun): CallState {
  return state.applet?.kind === "connect" ? { ...state, applet: patch(state.applet) } : state;
}

function withCallback(state: CallState, patch: (c: CallbackRun | undefined) => CallbackRun): CallState {
  return withConnect(state, (r) =>
    r.queue ? { ...r, queue: { ...r.queue, callback: patch(r.queue.callback) } } : r,
  );
}

function withTransfer(state: CallState, patch: (t: TransferRun) => TransferRun | undefined): CallState {
  if (!state.transfer) return state;
  const next = patch(state.transfer);
  return next ? { ...state, transfer: next } : omit(state, "transfer");
}

function initialRun(appletId: string, kind: AppletRun["kind"]): AppletRun {
  switch (kind) {
    case "ivrMenu":
      return { kind, appletId, attempt: 1 };
    case "connect":
      return { kind, appletId, phase: "routing", legIds: [], failures: [] };
    // Every other applet's run starts with nothing but its id (one case: identical cases were places for
    // mutants no test could tell apart, and a new applet kind needs no case here).
    default:
      return { kind, appletId };
  }
}

/** Applies one call event. Pure; replaying a call's events rebuilds exactly the state its decisions saw. */
export function evolveCall(previous: CallState, event: CallEvent): CallState {
  const state: CallState = { ...previous, version: previous.version + 1 };
  switch (event.type) {
    case "CallStarted": {
      const d = event.data;
      return {
        ...state,
        status: "active",
        callId: d.callId,
        from: d.from,
        to: d.to,
        flowId: d.flowId,
        configVersion: d.configVersion,
        callerLegId: d.callerLegId,
        legs: { [d.callerLegId]: { legId: d.callerLegId, role: "caller", status: "answered" } },
      };
    }
    case "AppletEntered":
      return { ...state, applet: initialRun(event.data.appletId, event.data.kind) };
    case "PlaybackStarted": {
      const a = state.applet;
      if (a && (a.kind === "greeting" || a.kind === "ivrMenu" || a.kind === "voicemail")) {
        return { ...state, applet: { ...a, playbackId: event.data.playbackId } };
      }
      // Stryker disable next-line ConditionalExpression,LogicalOperator: in a Connect only the callback prompts start playbacks (announcements are their own event), and a goodbye id set before the request is dropped by CallbackRequested, which starts the callback afresh
      if (
        a?.kind === "connect" &&
        a.queue?.callback?.phase === "requested" &&
        event.data.purpose === "callbackPrompt"
      )
        return withCallback(state, (c) => ({ ...c!, goodbyePlaybackId: event.data.playbackId }));
      return state;
    }
    case "PlaybackStopped": {
      // Forgetting the playback makes its late PlaybackFinished (if the media side still sends one) stale.
      const a = state.applet;
      // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: today every PlaybackStopped is followed in its decision by the prompt replayed or the next applet, which replace the id anyway
      if (a?.kind === "ivrMenu" && a.playbackId === event.data.playbackId) {
        return { ...state, applet: omit(a, "playbackId") };
      }
      return state;
    }
    case "IvrInputRejected": {
      const a = state.applet;
      if (a?.kind === "ivrMenu" && event.data.willRetry) {
        return { ...state, applet: { ...a, attempt: a.attempt + 1 } };
      }
      return state;
    }
    case "IvrBranchChosen":
    case "AppletBranchTaken":
      return state;
    case "TimerScheduled": {
      const { timerId, kind, dueAt } = event.data;
      let next: CallState = { ...state, timers: { ...state.timers, [timerId]: { kind, dueAt } } };
      if (kind === "transferRingTimeout") next = withTransfer(next, (t) => ({ ...t, timerId }));
      return next;
    }
    case "TimerCancelled":
      return { ...state, timers: omit(state.timers, event.data.timerId) };
    case "TimerElapsed": {
      const next = { ...state, timers: omit(state.timers, event.data.timerId) };
      // Legs still ringing at the ring timeout did not answer.
      // Stryker disable next-line ConditionalExpression: the Connect's other timers (max wait, position, callback offer) elapse only while queued, and a queued caller's failures are never read (a failed offer re-queues)
      return event.data.kind === "ringTimeout"
        ? withConnect(next, (r) => ({ ...r, failures: [...r.failures, "noAnswer"] }))
        : next;
    }
    case "RoutingDecided": {
      const d = event.data;
      if (d.purpose === "transfer") {
        // Stryker disable next-line ArrayDeclaration: a made-up id among those tried is no member of any group
        return withTransfer(state, (t) => ({ ...t, plan: d, tried: [...(t.tried ?? []), ...d.chosen] }));
      }
      return withConnect(state, (r) => ({
        ...r,
        plan: d,
        legIds: d.legs.map((l) => l.legId),
        // Stryker disable next-line ConditionalExpression: a key holding undefined reads as absent
        ...(d.groupId !== undefined ? { groupId: d.groupId } : {}),
        // Stryker disable next-line ConditionalExpression: a key holding undefined reads as absent
        ...(d.strategy !== undefined ? { strategy: d.strategy } : {}),
        // Stryker disable next-line ConditionalExpression: a key holding undefined reads as absent
        ...(d.sequential !== undefined ? { sequential: d.sequential } : {}),
        phase: d.legs.length > 0 ? "ringing" : r.phase,
        ...(d.legs.length > 0 && r.queue ? { queue: { ...r.queue, waiting: false } } : {}),
      }));
    }
    case "LegOriginateRequested": {
      const d = event.data;
      const leg: LegInfo = {
        legId: d.legId,
        role: d.role,
        status: "originating",
        // Stryker disable next-line ConditionalExpression: a key holding undefined reads as absent
        ...(d.agentId !== undefined ? { agentId: d.agentId } : {}),
        ...(d.to.kind === "phone" ? { phoneNumber: d.to.number } : {}),
      };
      const next = { ...state, legs: { ...state.legs, [d.legId]: leg } };
      if (d.role === "consult") {
        return withTransfer(next, (t) => ({ ...t, legIds: [...t.legIds, d.legId] }));
      }
      // The customer a callback dials stands in for the caller who hung up: bridged, recorded and ended as one.
      if (d.role === "customer")
        return withCallback({ ...next, callerLegId: d.legId }, (c) => ({ ...c!, customerLegId: d.legId }));
      return next;
    }
    case "LegRinging":
      // Stryker disable next-line ConditionalExpression: the decider records LegRinging only for an originating leg
      return state.legs[event.data.legId]?.status === "originating"
        ? withLeg(state, event.data.legId, { status: "ringing" })
        : state;
    case "LegAnswered":
      return withLeg(state, event.data.legId, { status: "answered" });
    case "LegEnded": {
      const { legId, reason } = event.data;
      const before = state.legs[legId];
      let next = withLeg(state, legId, { status: "ended", endReason: reason });
      // An attempt's leg that ended on its own (not cancelled or hung up by us) counts as that attempt's failure.
      if (
        before &&
        (before.status === "originating" || before.status === "ringing" || before.status === "answered")
      ) {
        next = withConnect(next, (r) =>
          r.legIds.includes(legId) && r.phase !== "bridged"
            ? {
                ...r,
                failures: [...r.failures, reason === "busy" || reason === "noAnswer" ? reason : "failed"],
              }
            : r,
        );
      }
      next = withTransfer(next, (t) => (t.fromLegId === legId ? { ...t, fromLegGone: true } : t));
      if (next.bridge?.includes(legId)) next = omit(next, "bridge");
      if (next.holdMusic.includes(legId))
        next = { ...next, holdMusic: next.holdMusic.filter((l) => l !== legId) };
      if (next.agentLegId === legId) next = omit(next, "agentLegId");
      return next;
    }
    case "LegCancelRequested":
      return withLeg(state, event.data.legId, { status: "cancelling" });
    case "LegHangupRequested": {
      const next = withLeg(state, event.data.legId, { status: "hangingUp" });
      return withTransfer(next, (t) => (t.fromLegId === event.data.legId ? { ...t, fromLegGone: true } : t));
    }
    case "HoldMusicStarted":
      return state.holdMusic.includes(event.data.legId)
        ? state
        : { ...state, holdMusic: [...state.holdMusic, event.data.legId] };
    case "HoldMusicStopped":
      return { ...state, holdMusic: state.holdMusic.filter((l) => l !== event.data.legId) };
    case "WhisperRequested":
      return withConnect(state, (r) => ({
        ...r,
        phase: "whisper",
        whisperPlaybackId: event.data.playbackId,
      }));
    case "LegsBridged": {
      const [a, b] = event.data.legIds;
      let next: CallState = { ...state, bridge: [a, b] };
      if (a === state.callerLegId) {
        next = { ...next, agentLegId: b };
        next = withConnect(next, (r) => ({
          ...omit(r, "whisperPlaybackId"),
          phase: "bridged",
          agentLegId: b,
        }));
      } else {
        next = withTransfer(next, (t) => ({ ...t, phase: "consulting", consultLegId: b }));
      }
      return next;
    }
    case "LegsUnbridged":
      return omit(state, "bridge");
    case "RecordingStarted":
      return { ...state, recordingId: event.data.recordingId };
    // Stryker disable next-line ConditionalExpression: a recording stops when the call ends (nothing reads it after) or when a transfer completes, where RecordingStarted replaces its id in the same decision
    case "RecordingStopped":
      return omit(state, "recordingId");
    case "ConnectCompleted":
      return state;
    case "CallerEnqueued":
      return withConnect(state, (r) => ({
        ...r,
        phase: "queued",
        // Stryker disable next-line ArrayDeclaration: a made-up leg id names no leg (never live, never ended)
        legIds: [],
        queue: {
          groupId: event.data.groupId,
          enqueuedAt: event.data.enqueuedAt,
          waiting: true,
          // A callback caller back in line (after an attempt nobody answered) keeps their callback.
          ...(r.queue?.callback ? { callback: r.queue.callback } : {}),
        },
      }));
    case "QueuePositionAnnounced":
      return withConnect(state, (r) =>
        r.queue
          ? {
              ...r,
              queue: {
                ...r.queue,
                lastAnnouncedPosition: event.data.position,
                lastAnnouncedAt: event.data.at,
              },
            }
          : r,
      );
    case "CallerDequeued":
      return withConnect(state, (r) => (r.queue ? { ...r, queue: { ...r.queue, waiting: false } } : r));
    case "VoicemailRecordingStarted": {
      const a = state.applet;
      return a?.kind === "voicemail"
        ? { ...state, applet: { ...a, recordingId: event.data.recordingId } }
        : state;
    }
    case "VoicemailRecorded": {
      const a = state.applet;
      return a?.kind === "voicemail" ? { ...state, applet: omit(a, "recordingId") } : state;
    }
    case "TransferRequested": {
      const d = event.data;
      return {
        ...state,
        transfer: {
          transferId: d.transferId,
          mode: d.mode,
          target: d.target,
          fromLegId: d.agentLegId,
          phase: "ringing",
          legIds: [],
          // Stryker disable next-line ConditionalExpression: a blind transfer hangs A up in the same decision, and that LegHangupRequested marks A gone anyway
          fromLegGone: d.mode === "blind",
        },
      };
    }
    // Stryker disable next-line ConditionalExpression: the same decision bridged the caller with B (LegsBridged), which already made B the connected agent
    case "TransferCompleted": {
      const next = omit(state, "transfer");
      return { ...next, agentLegId: event.data.agentLegId };
    }
    case "TransferFailed":
      return omit(state, "transfer");
    case "DialRefused":
      return state;
    case "CallbackStep":
      return withCallback(state, (c) => ({
        attempts: c?.attempts ?? 0,
        phase: event.data.phase,
        // Stryker disable next-line ConditionalExpression: a key holding undefined reads as absent
        ...(event.data.number !== undefined ? { number: event.data.number } : {}),
        // Stryker disable next-line ConditionalExpression: a key holding undefined reads as absent
        ...(event.data.digits !== undefined ? { digits: event.data.digits } : {}),
      }));
    case "CallbackRequested":
      return withCallback(state, (c) => ({
        phase: "requested",
        number: event.data.number,
        attempts: c?.attempts ?? 0,
      }));
    case "CallbackAttemptFailed":
      return withCallback(state, (c) => ({
        phase: "requested",
        number: c?.number ?? "",
        attempts: event.data.attempt,
      }));
    case "CallEnded":
      return { ...state, status: "ended", endReason: event.data.reason };
    default: {
      const unknown: never = event;
      throw new Error(`unknown call event ${JSON.stringify(unknown)}`);
    }
  }
}

export function foldCall(events: readonly CallEvent[], from: CallState = INITIAL_CALL): CallState {
  return events.reduce(evolveCall, from);
}
