/** FNV-1a (32 bit): a stable, platform-independent hash for deterministic tie-breaks. */
export function fnv1a(input: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export const tieBreakHash = (seed: string, agentId: string): number => fnv1a(`${seed}:${agentId}`);
