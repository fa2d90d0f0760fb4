import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConvergenceReport, analyseConvergence, describeProvider } from "../../gitops/convergence";
import { FluxTree, followFluxTree, readyBefore } from "../../gitops/fluxTree";
import { findKustomizeTool } from "../../gitops/render";
import { writeTree } from "../support/tree";

const fluxKs = (name: string, p: string, extra = "") =>
    `---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  path: ${p}\n  sourceRef:\n    kind: OCIRepository\n    name: flux-system\n${extra}`;
const helmRelease = (ns: string, name: string, chart: string, version: string, values = "") =>
    `---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  chart:\n    spec:\n      chart: ${chart}\n      version: ${version}\n${values}`;
const object = (apiVersion: string, kind: string, name: string, body = "") =>
    `---\napiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: default\n${body}`;

/** A small tree with one case of every rule; rendered once for the whole file. */
const FILES: Record<string, string> = {
    "clusters/base/kustomization.yaml": "resources: [meta.yaml, layers.yaml]\n",
    "clusters/base/meta.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-meta\n  namespace: flux-system\n  annotations:\n    config.kubernetes.io/local-config: 'true'\ndata:\n  provider: __PROVIDER__\n",
    "clusters/base/layers.yaml":
        fluxKs("base", "providers/__PROVIDER__/base", "  wait: true\n") +
        fluxKs(
            "apps",
            "providers/__PROVIDER__/apps",
            "  dependsOn:\n    - name: base\n  postBuild:\n    substitute:\n      greeting: hello\n    substituteFrom:\n      - kind: ConfigMap\n        name: vars\n      - kind: Secret\n        name: sealed\n",
        ),
    "clusters/dev/kustomization.yaml": [
        "resources: [../base]",
        "patches:",
        "  - patch: |",
        "      apiVersion: v1",
        "      kind: ConfigMap",
        "      metadata: {name: cluster-meta, namespace: flux-system}",
        "      data: {provider: acme}",
        "replacements:",
        "  - source: {kind: ConfigMap, name: cluster-meta, fieldPath: data.provider}",
        "    targets:",
        "      - select: {kind: Kustomization}",
        "        fieldPaths: [spec.path]",
        "        options: {delimiter: /, index: 1}",
        "",
    ].join("\n"),
    "providers/acme/base/kustomization.yaml":
        "resources:\n  - objects.yaml\n  - https://127.0.0.1:9/crds/gadgets.example.net_gadgets.yaml\n",
    "providers/acme/base/objects.yaml":
        "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n" +
        object("example.com/v1", "Widget", "beside-its-crd") +
        helmRelease("kyverno", "kyverno", "kyverno", "3.0.0") +
        object("kyverno.io/v1", "ClusterPolicy", "too-early") +
        helmRelease("kube-system", "cilium", "cilium", "1.1.0") +
        helmRelease("cert-manager", "cert-manager", "cert-manager", "v1.0.0", "  values:\n    crds:\n      enabled: true\n") +
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\n  namespace: flux-system\ndata:\n  domain: example.org\n" +
        "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed\n  namespace: flux-system\nstringData:\n  token: ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]\n",
    "providers/acme/apps/kustomization.yaml": "resources: [apps.yaml]\n",
    "providers/acme/apps/apps.yaml":
        object(
            "v1",
            "ConfigMap",
            "web",
            "data:\n  url: https://${domain}/${greeting}\n  empty: x${missing}y\n  secret: ${token}\n  default: ${unset:=fallback}\n",
        ) +
        object(
            "v1",
            "ConfigMap",
            "script",
            "  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  run: echo ${domain}\n",
        ) +
        object("example.com/v1", "Widget", "later") +
        object("cert-manager.io/v1", "Certificate", "from-earlier-release") +
        object("gadgets.example.net/v1", "Gadget", "from-left-out-remote") +
        object("things.nowhere.io/v1", "Thing", "from-nothing") +
        object("cilium.io/v2", "CiliumNetworkPolicy", "from-pre-installed-chart") +
        fluxKs("child", "providers/acme/child", "  dependsOn:\n    - name: ghost\n  targetNamespace: kids\n") +
        fluxKs("elsewhere", "./x", "").replace("name: flux-system\n", "name: other-repo\n"),
    "providers/acme/child/kustomization.yaml": "resources: [cm.yaml]\n",
    "providers/acme/child/cm.yaml": object("v1", "ConfigMap", "child"),
};

describe("gitops/fluxTree and convergence: a small tree with one case of each rule", function () {
    const tool = findKustomizeTool();
    let root: string;
    let tree: FluxTree;
    let report: ConvergenceReport;
    const inputs = {
        preInstalled: {
            charts: [{ release: "cilium", namespace: "kube-system", chart: "cilium", version: "1.0.0" }],
            crds: [],
        },
        fluxComponents: ["source-controller", "kustomize-controller", "helm-controller"],
    };
    const providerOf = (kustomization: string, kind: string) => {
        const use = report.kinds.find((k) => k.kustomization === `flux-system/${kustomization}` && k.kind === kind);
        assert.ok(use, `${kind} in ${kustomization}`);
        return describeProvider(use.provider);
    };
    const findingsAbout = (text: string) => report.findings.filter((f) => f.message.includes(text));

    before(function () {
        if (!tool) {
            this.skip(); // neither kustomize nor kubectl on PATH
        }
        root = writeTree(FILES);
        tree = followFluxTree(root, "clusters/dev", { tool: tool! });
        report = analyseConvergence(tree, inputs);
    });
    after(() => root && fs.rmSync(root, { recursive: true, force: true }));

    it("follows the sync path, the tree's replacements and nested Kustomizations, in dependsOn order", () => {
        assert.deepEqual(
            tree.kustomizations.map((k) => [k.name, k.path]),
            [
                ["flux-system", "clusters/dev"],
                ["base", "providers/acme/base"],
                ["apps", "providers/acme/apps"],
                ["child", "providers/acme/child"],
            ],
        );
        assert.deepEqual([...readyBefore(tree, "flux-system/child")].sort(), ["flux-system/base", "flux-system/flux-system"]);
        assert.ok(tree.problems.some((p) => p.severity === "error" && p.message.includes("depends on flux-system/ghost")));
        assert.ok(
            tree.problems.some(
                (p) => p.severity === "info" && p.kustomization === "flux-system/elsewhere" && /not the synced one/.test(p.message),
            ),
        );
    });

    it("applies post-build variables as Flux does: substitute over substituteFrom, opt-out objects untouched, encrypted values not guessed", () => {
        const apps = tree.kustomizations.find((k) => k.name === "apps")!;
        const web = apps.objects.find((o) => o.object.metadata?.name === "web")!.object as unknown as { data: Record<string, string> };
        assert.deepEqual(web.data, { url: "https://example.org/hello", empty: "x${missing}y", secret: "${token}", default: "fallback" });
        const script = apps.objects.find((o) => o.object.metadata?.name === "script")!.object as unknown as {
            data: Record<string, string>;
        };
        assert.equal(script.data.run, "echo ${domain}");
        const unresolved = tree.problems.filter((p) => p.message.includes("has no value"));
        assert.deepEqual(
            unresolved.map((p) => [p.message.split(" ")[0], p.where]),
            [["${missing}", `${path.join(root, "providers/acme/apps/apps.yaml")}:9`]],
        );
    });

    it("names who provides each kind: Kubernetes, Flux, the program, a CRD or a release Ready earlier", () => {
        assert.equal(providerOf("apps", "ConfigMap"), "Kubernetes");
        assert.equal(providerOf("apps", "Kustomization"), "Flux (kustomize-controller)");
        assert.equal(providerOf("apps", "CiliumNetworkPolicy"), "this program, before Flux (chart kube-system/cilium)");
        assert.equal(providerOf("base", "Widget"), "a CRD in flux-system/base");
        assert.equal(providerOf("apps", "Widget"), "a CRD in flux-system/base");
        assert.equal(providerOf("apps", "Certificate"), "HelmRelease cert-manager/cert-manager (chart cert-manager) in flux-system/base");
    });

    it("fails on a kind nothing provides, naming it and its file", () => {
        const errors = report.findings.filter((f) => f.severity === "error" && f.message.includes("nothing installs"));
        assert.equal(errors.length, 1);
        assert.match(errors[0].message, /^things\.nowhere\.io\/Thing: nothing installs its CRD before flux-system\/apps/);
        assert.deepEqual(errors[0].files, [`${path.join(root, "providers/acme/apps/apps.yaml")}:41`]);
    });

    it("warns when a CRD comes only from a HelmRelease of the same Kustomization, with the files and the fix", () => {
        const [warning] = findingsAbout("kyverno.io/ClusterPolicy");
        assert.equal(warning.severity, "warning");
        assert.match(warning.message, /same Kustomization.*Fix: move the ClusterPolicy objects to a Kustomization that dependsOn base/);
        assert.equal(warning.files.length, 2);
    });

    it("names the remote resource left out offline, and does not call its kinds unprovided", () => {
        const [left] = findingsAbout("cannot be rendered offline");
        assert.deepEqual(left.files, [`${path.join(root, "providers/acme/base/kustomization.yaml")}:3`]);
        assert.match(
            providerOf("apps", "Gadget"),
            /^unknown: probably the left-out remote resource https:\/\/127\.0\.0\.1:9\/crds\/gadgets\.example\.net_gadgets\.yaml/,
        );
    });

    it("warns when a pre-installed chart's version differs from the tree's HelmRelease", () => {
        const [drift] = findingsAbout("kube-system/cilium: the program pre-installs");
        assert.equal(drift.severity, "warning");
        assert.match(drift.message, /cilium 1\.0\.0, the tree's HelmRelease pins 1\.1\.0: Flux up- or downgrades it/);
    });

    it("reports a sync path that does not render, without throwing", () => {
        const broken = followFluxTree(root, "clusters/none", { tool: tool! });
        assert.equal(broken.kustomizations.length, 1);
        assert.match(String(broken.kustomizations[0].error), /not a directory of the tree/);
    });
});
