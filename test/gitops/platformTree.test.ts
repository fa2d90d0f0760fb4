import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConvergenceInputs, analyseConvergence, describeProvider } from "../../gitops/convergence";
import { preFluxInstalls } from "../../components/gitops/preFlux";
import { fluxInstance } from "../../components/gitops/values";
import { validateConfig } from "../../config";
import { chartCrds } from "../../gitops/crdFacts";
import { FluxTree } from "../../gitops/fluxTree";
import { findKustomizeTool } from "../../gitops/render";
import { validProdRaw } from "../support/config";
import { PLATFORM_TREE, platformFluxTree } from "../support/tree";

const FLUX_COMPONENTS = ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"];

/**
 * What ksail installs before Flux on the platform (../shared/reference/platform/README.md): the
 * Gateway API and CapacityBuffer CRDs and seven charts at the versions of the tree's HelmReleases.
 */
const KSAIL_PRE_FLUX: ConvergenceInputs["preInstalled"] = {
    charts: [
        { release: "cilium", namespace: "kube-system", chart: "cilium", version: "1.20.0" },
        {
            release: "hcloud-cloud-controller-manager",
            namespace: "kube-system",
            chart: "hcloud-cloud-controller-manager",
            version: "1.35.0",
        },
        { release: "cert-manager", namespace: "cert-manager", chart: "cert-manager", version: "v1.21.1" },
        { release: "metrics-server", namespace: "kube-system", chart: "metrics-server", version: "3.13.1" },
        { release: "hcloud-csi", namespace: "kube-system", chart: "hcloud-csi", version: "2.22.1" },
        { release: "kyverno", namespace: "kyverno", chart: "kyverno", version: "3.8.2" },
        { release: "flux-operator", namespace: "flux-system", chart: "flux-operator", version: "0.50.0" },
    ],
    crds: [
        { group: "gateway.networking.k8s.io", kind: "Gateway" },
        { group: "gateway.networking.k8s.io", kind: "HTTPRoute" },
        { group: "gateway.networking.k8s.io", kind: "ReferenceGrant" },
        { group: "autoscaling.x-k8s.io", kind: "CapacityBuffer" },
    ],
};

describe("gitops: the platform's real Flux tree (../shared/reference/platform/k8s)", function () {
    const tool = findKustomizeTool();
    let tree: FluxTree;

    before(function () {
        if (!fs.existsSync(PLATFORM_TREE)) {
            this.skip(); // ../shared/reference/platform is not in this checkout
        }
        if (!tool) {
            this.skip(); // neither kustomize nor kubectl on PATH
        }
        // Rendered once for the whole file (about 5 s of kustomize on two cores).
        this.timeout(120_000);
        tree = platformFluxTree(tool!);
    });

    it("follows the sync path to the four layers, __PROVIDER__/__CLUSTER__ replaced as the tree's replacements do", () => {
        assert.deepEqual(
            tree.kustomizations.map((k) => [k.name, k.path, k.dependsOn]),
            [
                ["flux-system", "clusters/prod", []],
                ["bootstrap", "clusters/prod/bootstrap", []],
                ["infrastructure-controllers", "providers/hetzner/infrastructure/controllers", ["flux-system/bootstrap"]],
                ["infrastructure", "providers/hetzner/infrastructure", ["flux-system/infrastructure-controllers"]],
                ["apps", "providers/hetzner/apps", ["flux-system/infrastructure"]],
            ],
        );
        assert.ok(tree.kustomizations.every((k) => !k.error && k.objects.length > 0));
    });

    it("names the two kustomizations with remote resources as unrenderable offline, and still renders the rest of their layer", () => {
        const controllers = tree.kustomizations.find((k) => k.name === "infrastructure-controllers")!;
        assert.deepEqual(
            controllers.leftOut.map((l) => path.relative(PLATFORM_TREE, l.directory)),
            [
                "providers/hetzner/infrastructure/controllers/kubelet-serving-cert-approver",
                "providers/hetzner/infrastructure/controllers/origin-ca-issuer",
            ],
        );
        // The rest of those directories is kept (their PodDisruptionBudgets and the origin-ca-issuer HelmRelease).
        assert.ok(controllers.objects.some((o) => o.object.kind === "HelmRelease" && o.object.metadata?.name === "origin-ca-issuer"));
        assert.ok(controllers.objects.length > 150);
    });

    it("with ksail's pre-Flux installs, every kind is provided and HTTPRoute, Gateway, ReferenceGrant and CapacityBuffer come from before Flux", () => {
        const report = analyseConvergence(tree, { preInstalled: KSAIL_PRE_FLUX, fluxComponents: FLUX_COMPONENTS });
        assert.deepEqual(
            report.findings.filter((f) => f.severity === "error"),
            [],
        );
        const byProgram = report.kinds.filter((k) => k.provider.by === "program").map((k) => `${k.kustomization.split("/")[1]}:${k.kind}`);
        for (const expected of [
            "infrastructure-controllers:HTTPRoute",
            "infrastructure-controllers:ReferenceGrant",
            "infrastructure:Gateway",
            "infrastructure:CapacityBuffer",
            "apps:HTTPRoute",
            "infrastructure-controllers:CiliumNetworkPolicy",
            "infrastructure-controllers:FluxInstance",
        ]) {
            assert.ok(byProgram.includes(expected), expected);
        }
        const provider = (ks: string, kind: string) =>
            describeProvider(report.kinds.find((k) => k.kustomization === `flux-system/${ks}` && k.kind === kind)!.provider);
        assert.equal(
            provider("infrastructure", "ObjectStore"),
            "HelmRelease cnpg-system/plugin-barman-cloud (chart plugin-barman-cloud) in flux-system/infrastructure-controllers",
        );
        assert.equal(provider("apps", "NetworkPolicy"), "Kubernetes");
        assert.equal(provider("apps", "Policy"), "Crossplane Provider provider-aws-iam in flux-system/infrastructure");
        assert.match(
            provider("infrastructure", "ClusterOriginIssuer"),
            /^unknown: probably the left-out remote resource .*cert-manager\.k8s\.cloudflare\.com_clusteroriginissuers\.yaml/,
        );
        // A tree problem, not the program's: Dex's ExternalSecret beside the release that installs its CRD.
        const [dex] = report.findings.filter((f) => f.message.startsWith("external-secrets.io/ExternalSecret"));
        assert.equal(dex.severity, "warning");
        assert.equal(dex.kustomization, "flux-system/infrastructure-controllers");
        assert.deepEqual(
            report.findings.filter((f) => f.message.includes("pre-installs chart")),
            [],
        );
    });

    it("with what this program installs before Flux (preFluxInstalls of the prod config), the tree converges: no error, no version drift", () => {
        const config = validateConfig(validProdRaw());
        assert.ok(config.ok);
        const report = analyseConvergence(tree, {
            preInstalled: preFluxInstalls(config.config.gitops),
            fluxComponents: [...fluxInstance(config.config.gitops, undefined).spec.components],
        });
        assert.deepEqual(
            report.findings.filter((f) => f.severity === "error" || f.message.includes("pre-installs")),
            [],
        );
        const provided = (ks: string, kind: string) =>
            report.kinds.find((k) => k.kustomization === `flux-system/${ks}` && k.kind === kind)?.provider.by;
        for (const [ks, kind] of [
            ["infrastructure-controllers", "HTTPRoute"],
            ["infrastructure-controllers", "ReferenceGrant"],
            ["infrastructure", "Gateway"],
            ["infrastructure", "CapacityBuffer"],
            ["infrastructure-controllers", "FluxInstance"],
            ["infrastructure", "ClusterPolicy"],
        ]) {
            assert.equal(provided(ks, kind), "program", `${kind} in ${ks}`);
        }
    });

    it("without them, the pre-flight fails naming the kinds ksail installs before Flux", () => {
        const report = analyseConvergence(tree, { preInstalled: { charts: [], crds: [] }, fluxComponents: FLUX_COMPONENTS });
        const unprovided = report.findings
            .filter((f) => f.severity === "error")
            .map((f) => `${f.kustomization!.split("/")[1]}:${f.message.split(":")[0]}`)
            .sort();
        assert.deepEqual(unprovided, [
            "apps:gateway.networking.k8s.io/HTTPRoute",
            "infrastructure-controllers:gateway.networking.k8s.io/HTTPRoute",
            "infrastructure-controllers:gateway.networking.k8s.io/ReferenceGrant",
            "infrastructure:autoscaling.x-k8s.io/CapacityBuffer",
            "infrastructure:gateway.networking.k8s.io/Gateway",
            "infrastructure:gateway.networking.k8s.io/HTTPRoute",
        ]);
    });

    it("warns about a pre-installed chart the tree pins at another version (the Flux Operator)", () => {
        const charts = KSAIL_PRE_FLUX.charts.map((c) => (c.release === "flux-operator" ? { ...c, version: "0.58.1" } : c));
        const report = analyseConvergence(tree, { preInstalled: { ...KSAIL_PRE_FLUX, charts }, fluxComponents: FLUX_COMPONENTS });
        const drift = report.findings.filter((f) => f.message.includes("pre-installs chart"));
        assert.equal(drift.length, 1);
        assert.match(
            drift[0].message,
            /flux-system\/flux-operator: the program pre-installs chart flux-operator 0\.58\.1, the tree's HelmRelease pins 0\.50\.0/,
        );
        assert.match(drift[0].files[0], /bases\/infrastructure\/controllers\/flux-operator\/helm-release\.yaml:\d+$/);
    });

    it("knows the CRDs of every chart the tree marks as installing CRDs, but two (reported as not checked when they matter)", () => {
        const marked = tree.kustomizations.flatMap((k) =>
            k.objects
                .filter(
                    (o) =>
                        o.object.kind === "HelmRelease" &&
                        (o.object.metadata?.labels as Record<string, string> | undefined)?.["helm.toolkit.fluxcd.io/crds"] === "enabled",
                )
                .map((o) => String((o.object.spec as { chart?: { spec?: { chart?: string } } }).chart?.spec?.chart)),
        );
        assert.ok(marked.length > 20);
        assert.deepEqual(marked.filter((chart) => !chartCrds(chart)).sort(), ["descheduler", "ksail-operator"]);
    });

    it("finds the variables Flux would substitute with an empty string", () => {
        const empty = tree.problems
            .filter((p) => p.message.includes("Flux substitutes an empty string"))
            .map((p) => p.message.split(" ")[0]);
        assert.deepEqual(empty, ["${KUBERNETES_SERVICE_HOST}", "${KUBERNETES_SERVICE_PORT_HTTPS}"]);
    });
});
