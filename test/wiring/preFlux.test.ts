import { strict as assert } from "assert";
import { PRE_FLUX_CHARTS, PRE_FLUX_CHART_ORDER, preFluxInstalls } from "../../components/gitops/preFlux";
import { TREE_FLUX_INSTANCE_FIELDS } from "../../components/gitops/values";
import { validateConfig } from "../../config";
import { SimulationResult, simulate } from "../../rehearsal/simulate";
import { validProdRaw } from "../support/config";
import { RecordedResource } from "../../rehearsal/simulate";
import { find, ofType, simulateOk, waitsFor } from "../support/simulation";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CONFIG_FILE = "kubernetes:yaml/v2:ConfigFile";
const CMD = "command:local:Command";
const INSTANCE = "kubernetes:fluxcd.controlplane.io/v1:FluxInstance";

describe("wiring: components before Flux, in ksail's order (simulated cloud)", () => {
    let r: SimulationResult;
    /** The release of a pre-Flux chart, by its id. */
    const release = (id: (typeof PRE_FLUX_CHART_ORDER)[number]): RecordedResource =>
        ofType(r, RELEASE).find((x) => x.rawInputs.name === PRE_FLUX_CHARTS[id].release)!;
    before(async () => {
        r = await simulateOk();
    });

    it("installs what preFluxInstalls() lists, release by release, with the configured versions", () => {
        const result = validateConfig(validProdRaw());
        assert.ok(result.ok);
        const listed = preFluxInstalls(result.config.gitops).charts;
        assert.deepEqual(
            listed.map((c) => c.release),
            ["cilium", "hcloud-cloud-controller-manager", "cert-manager", "metrics-server", "hcloud-csi", "kyverno", "flux-operator"],
        );
        for (const chart of listed) {
            const x = ofType(r, RELEASE).find((y) => y.rawInputs.name === chart.release);
            assert.ok(x, `${chart.release} is not installed`);
            assert.equal(x.rawInputs.namespace, chart.namespace);
            assert.equal(x.rawInputs.version, chart.version);
            assert.ok(String(x.rawInputs.chart).endsWith(chart.chart), `${chart.release}: chart ${String(x.rawInputs.chart)}`);
            // Flux adopts it: Pulumi lets go of values and version, and a destroy leaves it to Flux.
            assert.equal(x.retainOnDelete, true, chart.release);
            assert.deepEqual([...x.ignoreChanges].sort(), ["valueYamlFiles", "values", "version"], chart.release);
        }
        assert.equal(release("fluxOperator").rawInputs.version, "0.50.0");
        assert.deepEqual(release("fluxOperator").rawInputs.values, { web: { enabled: false } });
    });

    it("each step waits for what it needs, in ksail's order", () => {
        const gatewayApi = find(r, CONFIG_FILE, "pre-flux-gateway-api-crds");
        const capacityBuffer = find(r, CONFIG_FILE, "pre-flux-capacity-buffer-crd");
        assert.match(String(gatewayApi.rawInputs.file), /gateway-api\/releases\/download\/v1\.5\.1\/experimental-install\.yaml$/);
        assert.match(String(capacityBuffer.rawInputs.file), /cluster-autoscaler-1\.35\.0\/.*autoscaling\.x-k8s\.io_capacitybuffers\.yaml$/);
        const before = (a: RecordedResource, b: RecordedResource, why: string) => assert.ok(waitsFor(r, a, b), `${a.name} ${why}`);
        before(release("cilium"), gatewayApi, "needs the Gateway API CRDs (its Gateway controller starts only if they exist)");
        before(release("hcloudCcm"), release("cilium"), "needs Ready nodes");
        before(release("hcloudCcm"), find(r, "kubernetes:core/v1:Secret", "prod-hcloud-secret"), "reads kube-system/hcloud");
        before(release("certManager"), release("hcloudCcm"), "needs the uninitialized taint lifted");
        before(release("metricsServer"), release("certManager"), "comes after cert-manager");
        before(
            release("metricsServer"),
            find(r, CMD, "pre-flux-serving-cert-approver-wait"),
            "needs approved kubelet serving certificates",
        );
        before(release("hcloudCsi"), find(r, CMD, "pre-flux-nodes-provided-by"), "needs every node labelled by the cloud controller");
        before(find(r, CMD, "pre-flux-nodes-provided-by"), release("hcloudCcm"), "waits for the labels the cloud controller sets");
        before(release("kyverno"), release("certManager"), "comes after cert-manager");
        before(capacityBuffer, release("certManager"), "comes with the autoscaler's step");
        for (const last of [release("metricsServer"), release("hcloudCsi"), release("kyverno"), capacityBuffer]) {
            before(release("fluxOperator"), last, "is installed after every pre-Flux component");
        }
        assert.ok(!waitsFor(r, release("kyverno"), release("metricsServer")) && !waitsFor(r, release("metricsServer"), release("kyverno")));
        const env = (find(r, CMD, "pre-flux-nodes-provided-by").rawInputs.environment ?? {}) as Record<string, string>;
        assert.equal(env.LABEL, "instance.hetzner.cloud/provided-by");
    });

    it("the FluxInstance comes last and lets go of the fields the platform's own FluxInstance sets", () => {
        const instance = find(r, INSTANCE, "gitops-flux-instance");
        assert.ok(waitsFor(r, instance, release("fluxOperator")));
        assert.deepEqual([...instance.ignoreChanges].sort(), [...TREE_FLUX_INSTANCE_FIELDS].sort());
        assert.equal(instance.retainOnDelete, true);
        const spec = instance.rawInputs.spec as { distribution: { version: string }; kustomize: { patches: unknown[] } };
        assert.equal(spec.distribution.version, "2.8.x");
        assert.equal(spec.kustomize.patches.length, 7, "the platform's six controller patches and the cosign verification");
    });

    it("takes chart versions from config, and a version that is not one stops the run before anything is registered", async () => {
        const bumped = await simulateOk({ overrides: [{ path: "certManagerVersion", value: "v1.22.0", secret: false }] });
        assert.equal(ofType(bumped, RELEASE).find((x) => x.rawInputs.name === "cert-manager")?.rawInputs.version, "v1.22.0");
        const bad = await simulate({
            overrides: [
                { path: "kyvernoVersion", value: "latest", secret: false },
                { path: "hcloudCsiVersion", value: "v2.22.1", secret: false },
            ],
        });
        assert.equal(bad.configInvalid, true);
        assert.equal(bad.resources.length, 0);
        assert.match(bad.errors[0], /kyvernoVersion = "?latest"?: .*Kyverno chart version such as 3\.8\.2/);
        assert.match(bad.errors[0], /hcloudCsiVersion = "?v2\.22\.1"?: .*without a v/);
    });
});
