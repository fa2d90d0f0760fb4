/**
 * The known name closest to a misspelt one, for "did you mean": case-insensitive edit distance,
 * at most a quarter of the candidate's length (and at least 2). Used for config keys and for
 * Talos document kinds and fields, so both suggest alike.
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
    let best: { name: string; distance: number } | undefined;
    for (const c of candidates) {
        const d = editDistance(name.toLowerCase(), c.toLowerCase());
        if (d <= Math.max(2, Math.floor(c.length / 4)) && (!best || d < best.distance)) {
            best = { name: c, distance: d };
        }
    }
    return best?.name;
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
    let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++) {
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        prev = cur;
    }
    return prev[b.length];
}
