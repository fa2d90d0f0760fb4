/**
 * Kubernetes `IntOrString` values as used by PDBs and rolling updates: a non-negative integer or
 * a string of digits followed by `%`. Anything else is rejected by the API server, so the engine
 * reports it instead of guessing.
 */

/** A well-formed integer-or-percentage. */
export type IntOrPercent = { readonly type: "int"; readonly value: number } | { readonly type: "percent"; readonly percent: number };

/** The result of reading a field: its value, absent, or malformed with a reason. */
export type FieldValue<T> = { readonly ok: true; readonly value: T | undefined } | { readonly ok: false; readonly problem: string };

/** How a percentage is turned into a count. */
export type Rounding = "up" | "down";

const PERCENT = /^[0-9]+%$/;

/** Renders a raw value for a message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
    return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/*
 * Shared, immutable results for absent fields and the small values nearly every manifest uses:
 * reading tens of thousands of objects then allocates nothing per field in the common case.
 */
const ABSENT: FieldValue<never> = { ok: true, value: undefined };
const SHARED_LIMIT = 100;
const SHARED_INTS: readonly FieldValue<IntOrPercent>[] = Array.from({ length: SHARED_LIMIT + 1 }, (_, value) => ({
    ok: true,
    value: { type: "int", value },
}));
const SHARED_PERCENTS: readonly FieldValue<IntOrPercent>[] = Array.from({ length: SHARED_LIMIT + 1 }, (_, percent) => ({
    ok: true,
    value: { type: "percent", percent },
}));
const SHARED_COUNTS: readonly FieldValue<number>[] = Array.from({ length: SHARED_LIMIT + 1 }, (_, value) => ({ ok: true, value }));

function isCount(raw: unknown): raw is number {
    return typeof raw === "number" && Number.isInteger(raw) && raw >= 0;
}

/** Reads an optional integer-or-percentage field; `maxPercent` caps percentages where Kubernetes does. */
export function readIntOrPercent(raw: unknown, maxPercent?: number): FieldValue<IntOrPercent> {
    if (raw === undefined || raw === null) {
        return ABSENT;
    }
    if (typeof raw === "number") {
        return isCount(raw)
            ? (SHARED_INTS[raw] ?? { ok: true, value: { type: "int", value: raw } })
            : { ok: false, problem: `${show(raw)} is not a non-negative integer` };
    }
    if (typeof raw === "string" && PERCENT.test(raw)) {
        const percent = Number(raw.slice(0, -1));
        return maxPercent !== undefined && percent > maxPercent
            ? { ok: false, problem: `${show(raw)} is more than ${maxPercent}%` }
            : (SHARED_PERCENTS[percent] ?? { ok: true, value: { type: "percent", percent } });
    }
    return { ok: false, problem: `${show(raw)} is neither a non-negative integer nor a percentage like "25%"` };
}

/** Reads an optional non-negative integer field (replicas, minReplicas). */
export function readCount(raw: unknown): FieldValue<number> {
    if (raw === undefined || raw === null) {
        return ABSENT;
    }
    return isCount(raw)
        ? (SHARED_COUNTS[raw] ?? { ok: true, value: raw })
        : { ok: false, problem: `${show(raw)} is not a non-negative integer` };
}

/**
 * The count a value stands for at `total` replicas, as `intstr.GetScaledValueFromIntOrPercent`
 * computes it: integers as they are, percentages of `total` rounded up or down. Like Kubernetes,
 * the product is formed before dividing by 100, so a whole result stays whole (29% of 100 is 29,
 * where 0.29 * 100 would give 28.999999999999996).
 */
export function scale(value: IntOrPercent, total: number, rounding: Rounding): number {
    if (value.type === "int") {
        return value.value;
    }
    const product = value.percent * total;
    return rounding === "up" ? Math.ceil(product / 100) : Math.floor(product / 100);
}

/** Renders a value the way it would be written in a manifest. */
export function formatIntOrPercent(value: IntOrPercent): string {
    return value.type === "int" ? String(value.value) : `"${value.percent}%"`;
}

/** True for an explicit `0` or `"0%"`. */
export function isExplicitZero(value: IntOrPercent | undefined): boolean {
    return value !== undefined && (value.type === "int" ? value.value === 0 : value.percent === 0);
}
