import type { AgentState, Statistics } from "./statistics.js";

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;
const sec = (s: number): string => `${s.toFixed(1)} s`;

const SHORT_STATE: Readonly<Record<AgentState, string>> = {
  "signed out": "out",
  idle: "idle",
  reserved: "rsvd",
  ringing: "ring",
  "on call": "call",
  "wrap-up": "wrap",
  "on break": "brk",
  offline: "off",
};

/** One progress line: where the calls are and what each agent is doing. */
export function formatProgress(stats: Statistics, elapsedSimSec: number): string {
  const c = stats.calls;
  const clock = `${String(Math.floor(elapsedSimSec / 60)).padStart(2, "0")}:${String(Math.floor(elapsedSimSec % 60)).padStart(2, "0")}`;
  const agents = stats.agents.map((a) => `${a.agentId}:${SHORT_STATE[a.state]}`).join(" ");
  return (
    `[${clock}] calls ${stats.arrived} offered ${c.offered} answered ${c.answered} ` +
    `fallen back ${c.fellBack} queued ${stats.queuedNow} abandoned ${c.abandoned} in progress ${stats.inProgress} | ${agents}`
  );
}

/** The end-of-run summary, one line per row. */
export function formatSummary(stats: Statistics): string[] {
  const c = stats.calls;
  const lines = [
    `calls: ${stats.arrived} arrived, ${c.offered} offered to agents, ${c.answered} answered (answer rate ${pct(c.answerRate)}), ${stats.inProgress} still in progress`,
    `average speed of answer ${sec(c.averageSpeedOfAnswerSec)}; service level ${pct(c.serviceLevel)} answered within ${stats.serviceLevelSec} s; callers who waited in a queue ${pct(c.waitedShare)}`,
    `abandoned ${c.abandoned} (${pct(c.abandonmentRate)}); fell back to another path ${c.fellBack}`,
    "per group:",
  ];
  const groupRows = stats.groups.map((g) => [
    g.label,
    String(g.offered),
    String(g.answered),
    pct(g.answerRate),
    sec(g.averageSpeedOfAnswerSec),
    pct(g.serviceLevel),
    pct(g.waitedShare),
    pct(g.abandonmentRate),
    String(g.fellBack),
  ]);
  lines.push(
    ...table(
      [
        "group",
        "offered",
        "answered",
        "rate",
        "ASA",
        `SL ${stats.serviceLevelSec}s`,
        "waited",
        "abandoned",
        "fell back",
      ],
      groupRows,
    ),
  );
  lines.push("per agent:");
  lines.push(
    ...table(
      ["agent", "offered", "handled", "missed", "talk", "signed in", "utilisation"],
      stats.agents.map((a) => [
        a.name === a.agentId ? a.agentId : `${a.name} (${a.agentId})`,
        String(a.offered),
        String(a.handled),
        String(a.missed),
        sec(a.talkSec),
        sec(a.signedInSec),
        pct(a.utilisation),
      ]),
    ),
  );
  const cb = stats.callbacks;
  if (cb.offered > 0)
    lines.push(
      `callbacks: ${cb.offered} offered, ${cb.accepted} accepted, ${cb.completed} completed, ${cb.failed} failed` +
        (cb.medianTimeToCallbackSec === undefined
          ? ""
          : `; median time to callback ${sec(cb.medianTimeToCallbackSec)}`),
    );
  const ew = stats.expectedWait;
  if (ew.told > 0)
    lines.push(
      `expected waits announced: ${ew.told} callers told; ${ew.checked} answered afterwards` +
        (ew.medianAbsErrorSec === undefined
          ? ""
          : `, median error ${sec(ew.medianAbsErrorSec)} against a median wait of ${sec(ew.medianWaitSec ?? 0)}`),
    );
  const unanswered = Object.entries(stats.unanswered).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = unanswered.reduce((n, [, k]) => n + k, 0);
  lines.push(`calls never connected to an agent: ${total}`);
  for (const [where, count] of unanswered) {
    lines.push(`  ${where}: ${count}`);
    // Where exactly: the applets those calls went through, most common first (at most 4 shown).
    const paths = Object.entries(stats.unansweredPaths[where] ?? {}).sort(
      (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
    );
    for (const [path, n] of paths.slice(0, 4)) lines.push(`    ${n} × ${path}`);
    if (paths.length > 4) lines.push(`    … ${paths.length - 4} more paths`);
  }
  return lines;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")}`;
  return [line(header), ...rows.map(line)];
}
