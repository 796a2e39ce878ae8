// Ordered indexes of a large group's available members (the presence view keeps them current), so that a
// strategy finds its agent in O(log n): a 10,000-agent group costs about what a 10-agent group does.
import { OrderedSet } from "@js-sdsl/ordered-set";
import { type AgentState, callsInPeriod, type MemberIndex } from "@switchyard/routing-domain";

type IdleKey = readonly [idleSince: number, position: number];
type CallsKey = readonly [count: number, idleSince: number, position: number];

const byNumbers = (a: readonly number[], b: readonly number[]) => a[0]! - b[0]! || a[1]! - b[1]!;
const byCalls = (a: CallsKey, b: CallsKey) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
const idleSinceOf = (state: AgentState) => state.idleSince ?? Number.POSITIVE_INFINITY;

/** Walks an ordered set from an iterator, mapping each key (stops at `until`). */
function* walk<K, T>(
  set: OrderedSet<K>,
  from: ReturnType<OrderedSet<K>["begin"]>,
  map: (key: K) => T,
  until?: (key: K) => boolean,
): Generator<T> {
  const end = set.end();
  for (const it = from; !it.equals(end); it.next()) {
    const key = it.pointer;
    if (until?.(key)) return;
    yield map(key);
  }
}

export class GroupMemberIndex implements MemberIndex {
  readonly size: number;
  readonly #position = new Map<string, number>();
  readonly #ids: readonly string[];
  readonly #idle = new OrderedSet<IdleKey>([], byNumbers);
  #calls = new OrderedSet<CallsKey>([], byCalls);
  readonly #available = new OrderedSet<number>([], (a, b) => a - b);
  /** The available members' latest states and keys, by position. */
  readonly #listed = new Map<number, { state: AgentState; idle: IdleKey; calls: CallsKey }>();
  /**
   * The period the calls order counts in. A count from another period is 0 in this one, so when the period
   * turns (a decision asks for another), the order is rebuilt once: O(n log n) per period, not per decision
   * (100,000 available members: 0.1–0.3 s on the 2-core machine, in the period's first Least Calls decision).
   */
  #period = "";

  constructor(members: readonly string[]) {
    this.#ids = members;
    this.size = members.length;
    for (const [i, id] of members.entries()) this.#position.set(id, i);
  }

  /** The agent's latest known state: listed while available, removed otherwise. */
  update(agentId: string, state: AgentState | undefined): void {
    const position = this.#position.get(agentId);
    if (position === undefined) return;
    const had = this.#listed.get(position);
    if (had) {
      this.#idle.eraseElementByKey(had.idle);
      this.#calls.eraseElementByKey(had.calls);
      this.#available.eraseElementByKey(position);
      this.#listed.delete(position);
    }
    if (state?.status !== "available") return;
    const entry = {
      state,
      idle: [idleSinceOf(state), position] as const,
      calls: this.#callsKey(state, position),
    };
    this.#idle.insert(entry.idle);
    this.#calls.insert(entry.calls);
    this.#available.insert(position);
    this.#listed.set(position, entry);
  }

  #callsKey(state: AgentState, position: number): CallsKey {
    return [callsInPeriod(state, this.#period), idleSinceOf(state), position];
  }

  positionOf(agentId: string): number {
    return this.#position.get(agentId) ?? -1;
  }

  byIdle(): Iterable<string> {
    return walk(this.#idle, this.#idle.begin(), (k) => this.#ids[k[1]]!);
  }

  byCallsIn(periodKey: string): Iterable<string> {
    if (periodKey !== this.#period) {
      this.#period = periodKey;
      this.#calls = new OrderedSet<CallsKey>([], byCalls);
      for (const [position, entry] of this.#listed) {
        const calls = this.#callsKey(entry.state, position);
        this.#listed.set(position, { ...entry, calls });
        this.#calls.insert(calls);
      }
    }
    return walk(this.#calls, this.#calls.begin(), (k) => this.#ids[k[2]]!);
  }

  from(position: number): Iterable<string> {
    return walk(this.#available, this.#available.lowerBound(position), (p) => this.#ids[p]!);
  }
}
