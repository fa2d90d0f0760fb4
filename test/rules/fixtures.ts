/** Small builders for Kubernetes objects, so each rule test states only what it is about. */
import { Finding, RuleEngineOptions, RuleId, evaluate } from "../../policies/rules";

/** Options of a workload builder. */
export interface WorkloadOptions {
    /** `metadata.namespace`; omitted when undefined. */
    readonly namespace?: string;
    /** `spec.replicas`; omitted when undefined. */
    readonly replicas?: unknown;
    /** Pod template labels (default `{app: <name>}`). */
    readonly labels?: Record<string, string>;
    /** `spec.strategy`; omitted when undefined. */
    readonly strategy?: unknown;
}

/** A strategy that passes the rollout rule. */
export const SAFE_STRATEGY = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };

function workload(kind: string, name: string, options: WorkloadOptions): Record<string, unknown> {
    const labels = options.labels ?? { app: name };
    const spec: Record<string, unknown> = {
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name, image: "nginx" }] } },
    };
    if (options.replicas !== undefined) {
        spec.replicas = options.replicas;
    }
    if (options.strategy !== undefined) {
        spec[kind === "Deployment" ? "strategy" : "updateStrategy"] = options.strategy;
    }
    const metadata: Record<string, unknown> = { name };
    if (options.namespace !== undefined) {
        metadata.namespace = options.namespace;
    }
    return { apiVersion: "apps/v1", kind, metadata, spec };
}

/** An apps/v1 Deployment (strategy defaults to SAFE_STRATEGY unless given; pass `null` for none). */
export function deployment(name: string, options: WorkloadOptions = {}): Record<string, unknown> {
    const object = workload("Deployment", name, {
        ...options,
        strategy: options.strategy === undefined ? SAFE_STRATEGY : options.strategy,
    });
    if (options.strategy === null) {
        delete (object.spec as Record<string, unknown>).strategy;
    }
    return object;
}

/** An apps/v1 StatefulSet. */
export function statefulSet(name: string, options: WorkloadOptions = {}): Record<string, unknown> {
    return workload("StatefulSet", name, options);
}

/** A policy/v1 PodDisruptionBudget; `spec` is used as given. */
export function pdb(name: string, spec: Record<string, unknown>, namespace?: string, apiVersion = "policy/v1"): Record<string, unknown> {
    return { apiVersion, kind: "PodDisruptionBudget", metadata: namespace === undefined ? { name } : { name, namespace }, spec };
}

/** A PDB selecting `app: <app>` with the given budget. */
export function pdbFor(app: string, budget: Record<string, unknown>, namespace?: string): Record<string, unknown> {
    return pdb(`${app}-pdb`, { selector: { matchLabels: { app } }, ...budget }, namespace);
}

/** An autoscaling/v2 HPA targeting `kind/name`. */
export function hpa(
    name: string,
    target: { kind: string; name: string },
    minReplicas?: unknown,
    namespace?: string,
): Record<string, unknown> {
    const spec: Record<string, unknown> = { scaleTargetRef: { apiVersion: "apps/v1", ...target }, maxReplicas: 10 };
    if (minReplicas !== undefined) {
        spec.minReplicas = minReplicas;
    }
    return {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: namespace === undefined ? { name } : { name, namespace },
        spec,
    };
}

/** Evaluates plain objects (source = position) and returns the findings. */
export function check(objects: readonly unknown[], options?: RuleEngineOptions): Finding<number>[] {
    return evaluate(
        objects.map((object, i) => ({ object, source: i })),
        options,
    ).findings;
}

/** Findings of one rule only. */
export function findingsOf(rule: RuleId, objects: readonly unknown[], options?: RuleEngineOptions): Finding<number>[] {
    return check(objects, options).filter((f) => f.rule === rule);
}

/** `Kind ns/name` of each finding's object, for compact assertions. */
export function objectsOf(findings: readonly Finding<unknown>[]): string[] {
    return findings.map((f) => `${f.object.kind} ${f.object.namespace}/${f.object.name}`);
}
