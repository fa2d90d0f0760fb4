/**
 * The convergence analysis: for every API kind each Flux Kustomization applies, what installs its
 * CRD before Flux applies it (Kubernetes, this program before Flux, Flux's own controllers, a CRD
 * or a CRD-installing HelmRelease or Crossplane package in a Kustomization that is Ready first), and
 * whether the charts the program pre-installs are the versions the tree's HelmReleases pin.
 *
 * Pure: it reads a followed tree (fluxTree.ts) and facts (crdFacts.ts), and returns findings.
 */
import * as path from "path";
import type { PreFluxInstalls } from "../components/gitops/preFlux";
import { ChartCrds, CrdGroup, FLUX_COMPONENT_KINDS, KUBERNETES_GROUPS, chartCrds, covers, packageCrds } from "./crdFacts";
import { FluxKustomization, FluxTree, ObjectKey, apiGroup, readyBefore, where } from "./fluxTree";
import { KubeObject, RenderedObject } from "./render";

/** What the program installs before the FluxInstance (components/gitops/preFlux.ts owns the contract). */
type PreInstalled = PreFluxInstalls;

/** Who makes a kind available to a Kustomization. */
export type Provider =
    | { readonly by: "kubernetes" }
    /** Installed before the FluxInstance: a CRD the program applies, or one of its pre-installed charts (`chart`). */
    | { readonly by: "program"; readonly chart?: string }
    | { readonly by: "flux"; readonly component: string }
    | { readonly by: "crd"; readonly kustomization: ObjectKey; readonly where?: string }
    | {
          readonly by: "helmrelease";
          readonly kustomization: ObjectKey;
          readonly release: string;
          readonly chart: string;
          readonly where?: string;
      }
    | { readonly by: "package"; readonly kustomization: ObjectKey; readonly provider: string; readonly where?: string }
    | { readonly by: "unknown"; readonly reason: string }
    | { readonly by: "nothing" };

/** One kind applied by one Kustomization, and who provides it. */
interface KindUse {
    readonly kustomization: ObjectKey;
    readonly group: string;
    readonly kind: string;
    /** How many objects of the kind it applies, and the first one's place. */
    readonly count: number;
    readonly firstAt?: string;
    readonly provider: Provider;
}

/** A finding of the pre-flight. */
export interface Finding {
    /** `error`: Flux cannot converge on an empty cluster; `warning`: it may not, or it could not be checked; `info`: for the record. */
    readonly severity: "error" | "warning" | "info";
    readonly kustomization?: ObjectKey;
    readonly message: string;
    /** Files concerned, `file:line` where known. */
    readonly files: readonly string[];
}

/** The analysis of a tree. */
export interface ConvergenceReport {
    readonly kinds: readonly KindUse[];
    readonly findings: readonly Finding[];
}

/** What the analysis needs besides the tree. */
export interface ConvergenceInputs {
    readonly preInstalled: PreInstalled;
    /** The program's FluxInstance `spec.components`. */
    readonly fluxComponents: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A dotted path (`crds.enabled`) in a values object. */
function valueAt(values: unknown, dotted: string): unknown {
    let current = values;
    for (const key of dotted.split(".")) {
        if (!isRecord(current)) {
            return undefined;
        }
        current = current[key];
    }
    return current;
}

/** A HelmRelease's chart name and version (a chartRef to an OCIRepository: its repository's last path element and tag). */
function helmReleaseChart(release: KubeObject, objects: readonly RenderedObject[]): { chart: string; version?: string } | undefined {
    const spec = isRecord(release.spec) ? release.spec : {};
    const chartSpec = isRecord(spec.chart) && isRecord(spec.chart.spec) ? spec.chart.spec : undefined;
    if (chartSpec && typeof chartSpec.chart === "string") {
        return { chart: chartSpec.chart, version: typeof chartSpec.version === "string" ? chartSpec.version : undefined };
    }
    const ref = isRecord(spec.chartRef) ? spec.chartRef : undefined;
    if (ref?.kind === "OCIRepository") {
        const namespace = String(ref.namespace ?? release.metadata?.namespace ?? "");
        const source = objects.find(
            (o) =>
                o.object.kind === "OCIRepository" &&
                o.object.metadata?.name === ref.name &&
                (o.object.metadata?.namespace ?? "") === namespace,
        )?.object;
        const sourceSpec = source && isRecord(source.spec) ? source.spec : {};
        const url = typeof sourceSpec.url === "string" ? sourceSpec.url : undefined;
        const refSpec = isRecord(sourceSpec.ref) ? sourceSpec.ref : {};
        const version = typeof refSpec.tag === "string" ? refSpec.tag : typeof refSpec.semver === "string" ? refSpec.semver : undefined;
        return url ? { chart: url.split("/").pop() ?? url, version } : undefined;
    }
    return undefined;
}

/** Whether a HelmRelease of a chart with these facts installs the CRDs, given its own settings. */
function installsCrds(release: KubeObject, facts: ChartCrds): boolean {
    const spec = isRecord(release.spec) ? release.spec : {};
    const install = isRecord(spec.install) ? spec.install : {};
    switch (facts.install.via) {
        case "crds-dir":
            return install.crds !== "Skip";
        case "value": {
            const value = valueAt(spec.values, facts.install.path);
            return value === undefined ? facts.install.default : value === true || value === "true";
        }
        case "runtime":
            return true;
    }
}

/** Words of a group that say nothing about its project. */
const GENERIC_LABELS = new Set([
    "io",
    "com",
    "org",
    "dev",
    "app",
    "sh",
    "run",
    "k8s",
    "x-k8s",
    "m",
    "crossplane",
    "upbound",
    "cloud",
    "toolkit",
]);

/** Whether a chart or package name plausibly serves a group (a distinctive label of the group is one of its words). */
function plausiblyServes(name: string, group: string): boolean {
    const words = new Set(name.toLowerCase().split(/[^a-z0-9]+/));
    return group
        .split(".")
        .filter((l) => !GENERIC_LABELS.has(l))
        .some((label) => words.has(label));
}

/** Something in a Kustomization that installs CRDs. */
interface Installer {
    readonly kustomization: ObjectKey;
    readonly kind: "crd" | "helmrelease" | "package";
    readonly name: string;
    /** Chart name or package reference. */
    readonly what: string;
    /** Known groups; undefined = not in the facts table. */
    readonly groups?: readonly CrdGroup[];
    /** The tree marks it as installing CRDs (HelmRelease label helm.toolkit.fluxcd.io/crds: enabled). */
    readonly markedCrds: boolean;
    readonly where?: string;
}

const CRDS_LABEL = "helm.toolkit.fluxcd.io/crds";

function installersOf(node: FluxKustomization): Installer[] {
    const out: Installer[] = [];
    for (const { object, source } of node.objects) {
        const group = apiGroup(object.apiVersion);
        const name = `${object.metadata?.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata?.name ?? "?"}`;
        const spec = isRecord(object.spec) ? object.spec : {};
        if (group === "apiextensions.k8s.io" && object.kind === "CustomResourceDefinition") {
            const names = isRecord(spec.names) ? spec.names : {};
            if (typeof spec.group === "string" && typeof names.kind === "string") {
                out.push({
                    kustomization: node.key,
                    kind: "crd",
                    name,
                    what: `${names.kind}.${spec.group}`,
                    groups: [{ group: spec.group, kinds: [names.kind] }],
                    markedCrds: true,
                    where: where(source),
                });
            }
        } else if (group === "helm.toolkit.fluxcd.io" && object.kind === "HelmRelease") {
            const chart = helmReleaseChart(object, node.objects);
            const facts = chart ? chartCrds(chart.chart) : undefined;
            const labels = isRecord(object.metadata?.labels) ? object.metadata.labels : {};
            out.push({
                kustomization: node.key,
                kind: "helmrelease",
                name,
                what: chart?.chart ?? "?",
                groups: facts ? (installsCrds(object, facts) ? facts.groups : []) : undefined,
                markedCrds: labels[CRDS_LABEL] === "enabled",
                where: where(source),
            });
        } else if (group === "pkg.crossplane.io" && object.kind === "Provider" && typeof spec.package === "string") {
            out.push({
                kustomization: node.key,
                kind: "package",
                name,
                what: spec.package,
                groups: packageCrds(spec.package)?.groups,
                markedCrds: true,
                where: where(source),
            });
        }
    }
    return out;
}

/** Files of a remote resource named like a kubebuilder CRD (`<group>_<plural>.yaml`) whose group is `group`. */
function remoteMatches(url: string, group: string): boolean {
    const base = path.posix.basename(url.split("?")[0]);
    return base.startsWith(`${group}_`) && /\.ya?ml$/.test(base);
}

/** Who provides a kind, in words. */
export function describeProvider(provider: Provider): string {
    switch (provider.by) {
        case "kubernetes":
            return "Kubernetes";
        case "program":
            return `this program, before Flux${provider.chart ? ` (chart ${provider.chart})` : ""}`;
        case "flux":
            return `Flux (${provider.component})`;
        case "crd":
            return `a CRD in ${provider.kustomization}`;
        case "helmrelease":
            return `HelmRelease ${provider.release} (chart ${provider.chart}) in ${provider.kustomization}`;
        case "package":
            return `Crossplane Provider ${provider.provider} in ${provider.kustomization}`;
        case "unknown":
            return `unknown: ${provider.reason}`;
        case "nothing":
            return "nothing";
    }
}

/** Who provides `(group, kind)` to `node`, given what is Ready before it. */
function providerFor(
    group: string,
    kind: string,
    node: FluxKustomization,
    before: ReadonlySet<ObjectKey>,
    installers: ReadonlyMap<ObjectKey, readonly Installer[]>,
    inputs: ConvergenceInputs,
    tree: FluxTree,
): Provider {
    if (KUBERNETES_GROUPS.has(group)) {
        return { by: "kubernetes" };
    }
    if (inputs.preInstalled.crds.some((c) => c.group === group && c.kind === kind)) {
        return { by: "program" };
    }
    // A chart installed before Flux brings its CRDs (crdFacts.ts), e.g. Cilium's cilium.io kinds.
    const preChart = inputs.preInstalled.charts.find((c) => covers(chartCrds(c.chart)?.groups ?? [], group, kind));
    if (preChart) {
        return { by: "program", chart: `${preChart.namespace}/${preChart.release}` };
    }
    const component = inputs.fluxComponents.find((c) => covers(FLUX_COMPONENT_KINDS[c] ?? [], group, kind));
    if (component) {
        return { by: "flux", component };
    }
    // Flux applies CRDs before the other objects of the same Kustomization, so a CRD beside its objects is fine.
    const crdHere = (installers.get(node.key) ?? []).find((i) => i.kind === "crd" && covers(i.groups!, group, kind));
    if (crdHere) {
        return { by: "crd", kustomization: node.key, where: crdHere.where };
    }
    const earlier = [...before].flatMap((k) => installers.get(k) ?? []);
    // Earlier Kustomizations first; a release beside the objects is the last resort (and a warning).
    const known = [...earlier, ...(installers.get(node.key) ?? [])].find((i) => i.groups && covers(i.groups, group, kind));
    if (known) {
        switch (known.kind) {
            case "crd":
                return { by: "crd", kustomization: known.kustomization, where: known.where };
            case "helmrelease":
                return {
                    by: "helmrelease",
                    kustomization: known.kustomization,
                    release: known.name,
                    chart: known.what,
                    where: known.where,
                };
            case "package":
                return { by: "package", kustomization: known.kustomization, provider: known.name, where: known.where };
        }
    }
    const leftOut = [node.key, ...before]
        .flatMap((k) => tree.kustomizations.find((n) => n.key === k)?.leftOut ?? [])
        .flatMap((l) => l.remotes)
        .filter((r) => remoteMatches(r.url, group));
    if (leftOut.length) {
        return {
            by: "unknown",
            reason: `probably the left-out remote resource ${leftOut[0].url} (${path.relative(tree.root, leftOut[0].file)}:${leftOut[0].line}), not rendered offline`,
        };
    }
    const plausible = earlier.find((i) => !i.groups && i.markedCrds && plausiblyServes(i.what, group));
    if (plausible) {
        return {
            by: "unknown",
            reason: `probably ${plausible.kind === "package" ? "Crossplane package" : "chart"} ${plausible.what} of ${plausible.name} in ${plausible.kustomization}, whose CRDs are not in gitops/crdFacts.ts`,
        };
    }
    return { by: "nothing" };
}

/** Compares the charts the program installs with the tree's HelmReleases of the same name and namespace. */
function chartFindings(tree: FluxTree, preInstalled: PreInstalled): Finding[] {
    const findings: Finding[] = [];
    for (const pre of preInstalled.charts) {
        const matches = tree.kustomizations.flatMap((node) =>
            node.objects
                .filter(
                    (o) =>
                        o.object.kind === "HelmRelease" &&
                        apiGroup(o.object.apiVersion) === "helm.toolkit.fluxcd.io" &&
                        o.object.metadata?.name === pre.release &&
                        o.object.metadata?.namespace === pre.namespace,
                )
                .map((o) => ({ node, rendered: o, chart: helmReleaseChart(o.object, node.objects) })),
        );
        if (!matches.length) {
            findings.push({
                severity: "warning",
                message: `the program pre-installs ${pre.namespace}/${pre.release} (chart ${pre.chart} ${pre.version}), but no HelmRelease ${pre.namespace}/${pre.release} in the tree adopts it: Flux never manages it, and no later change of the tree reaches it`,
                files: [],
            });
            continue;
        }
        for (const { node, rendered, chart } of matches) {
            const file = where(rendered.source);
            if (chart && chart.chart !== pre.chart) {
                findings.push({
                    severity: "warning",
                    kustomization: node.key,
                    message: `HelmRelease ${pre.namespace}/${pre.release} installs chart ${chart.chart}, the program pre-installs chart ${pre.chart} under that release: Flux replaces it at adoption`,
                    files: file ? [file] : [],
                });
            } else if (chart?.version !== undefined && chart.version.replace(/^v/, "") !== pre.version.replace(/^v/, "")) {
                findings.push({
                    severity: "warning",
                    kustomization: node.key,
                    message: `${pre.namespace}/${pre.release}: the program pre-installs chart ${pre.chart} ${pre.version}, the tree's HelmRelease pins ${chart.version}: Flux ${/[*xX^~<>=|]/.test(chart.version) ? "may change it" : "up- or downgrades it"} at adoption. Set the program's version to ${chart.version}`,
                    files: file ? [file] : [],
                });
            }
        }
    }
    return findings;
}

/**
 * Analyses a followed tree: who provides each kind to each Kustomization, and the findings (see the
 * module comment). Problems found while following the tree (unrenderable paths, left-out remote
 * resources, cycles, substitution) are included as findings too, so one list says everything.
 */
export function analyseConvergence(tree: FluxTree, inputs: ConvergenceInputs): ConvergenceReport {
    const installers = new Map(tree.kustomizations.map((n) => [n.key, installersOf(n)]));
    const kinds: KindUse[] = [];
    const findings: Finding[] = tree.problems.map((p) => ({
        severity: p.severity,
        kustomization: p.kustomization,
        message: p.message,
        files: p.where ? [p.where] : [],
    }));
    for (const node of tree.kustomizations) {
        for (const left of node.leftOut) {
            findings.push({
                severity: "warning",
                kustomization: node.key,
                message: `${path.relative(tree.root, left.directory) || "."} cannot be rendered offline: ${left.reason}; the rest is analysed without ${left.remotes.map((r) => r.url).join(", ")}`,
                files: left.remotes.map((r) => `${r.file}:${r.line}`),
            });
        }
        const before = readyBefore(tree, node.key);
        const byKind = new Map<string, RenderedObject[]>();
        for (const rendered of node.objects) {
            const k = `${apiGroup(rendered.object.apiVersion)}\u0000${rendered.object.kind}`;
            byKind.set(k, [...(byKind.get(k) ?? []), rendered]);
        }
        for (const [k, objects] of byKind) {
            const [group, kind] = k.split("\u0000");
            const provider = providerFor(group, kind, node, before, installers, inputs, tree);
            kinds.push({ kustomization: node.key, group, kind, count: objects.length, firstAt: where(objects[0].source), provider });
            const files = objects
                .slice(0, 3)
                .map((o) => where(o.source))
                .filter((f): f is string => f !== undefined);
            const apiKind = `${group ? `${group}/` : ""}${kind}`;
            const sameHere = (provider.by === "helmrelease" || provider.by === "package") && provider.kustomization === node.key;
            if (sameHere) {
                findings.push({
                    severity: "warning",
                    kustomization: node.key,
                    message: `${apiKind}: its CRD comes only from ${describeProvider(provider)}, the same Kustomization, so on an empty cluster Flux's dry-run of ${node.key} fails ("no matches for kind") before the release can install it. Fix: move the ${kind} objects to a Kustomization that dependsOn ${node.name}, or install the CRD before Flux`,
                    files: [...files, ...(provider.where ? [provider.where] : [])],
                });
            } else if (provider.by === "nothing") {
                const later = [...installers.values()].flat().find((i) => i.groups && covers(i.groups, group, kind));
                findings.push({
                    severity: "error",
                    kustomization: node.key,
                    message: `${apiKind}: nothing installs its CRD before ${node.key} applies ${objects.length} object(s) of it${later ? ` (${later.name} in ${later.kustomization} does, but ${node.key} does not depend on it)` : ""}: Flux's dry-run fails with "no matches for kind" and the Kustomization never becomes Ready`,
                    files,
                });
            } else if (provider.by === "unknown") {
                findings.push({
                    severity: "warning",
                    kustomization: node.key,
                    message: `${apiKind}: not checked offline, ${provider.reason}`,
                    files,
                });
            } else if (provider.by === "helmrelease" || provider.by === "package") {
                const source = tree.kustomizations.find((n) => n.key === provider.kustomization);
                if (source && !source.wait && provider.kustomization !== node.key) {
                    findings.push({
                        severity: "warning",
                        kustomization: node.key,
                        message: `${apiKind} comes from ${describeProvider(provider)}, which has no spec.wait: it is Ready once applied, so ${node.key} may start before the CRD exists (Flux retries until it does)`,
                        files,
                    });
                }
            }
        }
    }
    findings.push(...chartFindings(tree, inputs.preInstalled));
    return { kinds, findings };
}
