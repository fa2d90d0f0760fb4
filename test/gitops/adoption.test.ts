import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { PRE_FLUX_CHARTS, PRE_FLUX_CHART_ORDER, preFluxInstalls } from "../../components/gitops/preFlux";
import { BootstrapNetwork, TREE_FLUX_INSTANCE_FIELDS, fluxInstance } from "../../components/gitops/values";
import { validateConfig } from "../../config";
import { GitopsConfig } from "../../config/gitops";
import { KubeObject, findKustomizeTool, renderKustomization } from "../../gitops/render";
import { expandVariables, lookupFrom } from "../../gitops/variables";
import { validProdRaw } from "../support/config";

/** The platform's GitOps tree (test-only: the product never reads ../shared). */
const TREE = path.resolve(__dirname, "../../../shared/reference/platform/k8s");
/** Where the platform installs the components the program pre-installs, and its own FluxInstance. */
const CONTROLLERS = path.join(TREE, "providers/hetzner/infrastructure/controllers");
/** The prod cluster's bootstrap layer: the post-build variables (variables-base, variables-cluster ConfigMaps). */
const BOOTSTRAP = path.join(TREE, "clusters/prod/bootstrap");
/** The prod cluster's network, as the config defaults and the platform's values have it. */
const PROD: BootstrapNetwork = { location: "fsn1", podCidr: "10.244.0.0/16", networkCidr: "10.0.0.0/16" };

/** Objects of a kind, by namespace/name. */
function byName(objects: readonly KubeObject[], kind: string): Map<string, KubeObject> {
    return new Map(objects.filter((o) => o.kind === kind).map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o]));
}

/** A value with Flux's post-build substitution applied (as the Kustomization does), failing on anything left unresolved. */
function substituted(value: unknown, variables: Record<string, string>): unknown {
    const expansion = expandVariables(stringify(value), lookupFrom(variables));
    assert.deepEqual(expansion.issues, [], "every variable of the bootstrap values resolves");
    return parse(expansion.text);
}

describe("gitops: adoption without a fight (the platform's rendered tree)", function () {
    let gitops: GitopsConfig;
    let releases: Map<string, KubeObject>;
    let treeInstance: KubeObject;
    let variables: Record<string, string>;

    before(function () {
        if (!fs.existsSync(CONTROLLERS) || !findKustomizeTool()) {
            this.skip(); // needs ../shared/reference/platform and kustomize or kubectl on PATH
        }
        this.timeout(60000);
        const controllers = renderKustomization(CONTROLLERS);
        const bootstrap = renderKustomization(BOOTSTRAP);
        assert.equal(controllers.error, undefined, controllers.error);
        assert.equal(bootstrap.error, undefined, bootstrap.error);
        const objects = controllers.objects.map((o) => o.object);
        releases = byName(objects, "HelmRelease");
        treeInstance = byName(objects, "FluxInstance").get("flux-system/flux")!;
        assert.ok(treeInstance, "the tree has its own FluxInstance flux-system/flux");
        // Flux's order: later entries override earlier ones (variables-base, then variables-cluster).
        const configMaps = byName(
            bootstrap.objects.map((o) => o.object),
            "ConfigMap",
        );
        variables = {
            ...(configMaps.get("flux-system/variables-base")?.data as Record<string, string>),
            ...(configMaps.get("flux-system/variables-cluster")?.data as Record<string, string>),
        };
        const result = validateConfig(validProdRaw());
        assert.ok(result.ok);
        gitops = result.config.gitops;
    });

    it("every pre-installed chart is a HelmRelease of the tree: same name, namespace, chart and (by default) version", () => {
        for (const chart of preFluxInstalls(gitops).charts) {
            const release = releases.get(`${chart.namespace}/${chart.release}`);
            assert.ok(release, `the tree has no HelmRelease ${chart.namespace}/${chart.release}: Flux would never adopt it`);
            const spec = (
                release.spec as { chart: { spec: { chart: string; version: string } }; releaseName?: string; targetNamespace?: string }
            ).chart.spec;
            assert.equal(spec.chart, chart.chart, chart.release);
            assert.equal(spec.version, chart.version, `${chart.release}: an up- or downgrade at adoption`);
        }
    });

    it("the bootstrap values are the tree's, after post-build substitution (adoption restarts nothing)", () => {
        for (const id of PRE_FLUX_CHART_ORDER) {
            const spec = PRE_FLUX_CHARTS[id];
            const release = releases.get(`${spec.namespace}/${spec.release}`)!;
            const tree = substituted((release.spec as { values?: unknown }).values ?? {}, variables);
            assert.deepEqual(spec.values(PROD), tree, `${spec.release}: bootstrap values differ from the tree's HelmRelease`);
        }
    });

    it("Cilium's behaviour-changing values: every en+/eth+ NIC, NodePort on the private network, WireGuard egress strict mode", () => {
        const values = PRE_FLUX_CHARTS.cilium.values(PROD) as {
            devices: string;
            nodePort: unknown;
            encryption: { strictMode: { egress: unknown } };
        };
        assert.equal(values.devices, "en+ eth+");
        assert.deepEqual(values.nodePort, { addresses: ["10.0.0.0/16"] });
        assert.deepEqual(values.encryption.strictMode.egress, { allowRemoteNodeIdentities: true, cidr: "10.244.0.0/16", enabled: true });
    });

    it("the FluxInstance starts with the tree's own spec (distribution, components, cluster, the same patches), plus the sync", () => {
        const ours = fluxInstance(gitops, "ghcr-auth").spec;
        const theirs = treeInstance.spec as Record<string, unknown> & { kustomize: { patches: { target: unknown; patch: string }[] } };
        assert.deepEqual(ours.distribution, theirs.distribution);
        assert.deepEqual(ours.components, theirs.components);
        assert.deepEqual(ours.cluster, theirs.cluster);
        // The patch texts differ (JSON here, commented YAML there); what they do must not.
        const semantic = (patches: readonly { target: unknown; patch: string }[]) =>
            patches.map((p) => ({ target: p.target, ops: parse(p.patch) }));
        assert.deepEqual(semantic(ours.kustomize.patches), semantic(theirs.kustomize.patches));
        assert.deepEqual(
            Object.keys(theirs)
                .map((k) => `spec.${k}`)
                .sort(),
            [...TREE_FLUX_INSTANCE_FIELDS].sort(),
            "the program lets go of exactly the fields the tree's FluxInstance sets",
        );
        assert.equal(theirs.sync, undefined, "the sync is the program's alone");
    });
});
