import { strict as assert } from "assert";
import { formatPreflight, runPreflight } from "../../gitops/preflight";

const base = {
    syncPath: "clusters/prod",
    sourceKind: "OCIRepository",
    preInstalled: { charts: [], crds: [] },
    fluxComponents: [],
};

describe("gitops/preflight: when it is skipped, and why", () => {
    it("says so without gitopsPath, without a checkout there, and without kustomize or kubectl", () => {
        const reasons = [
            runPreflight({ ...base, tree: { present: false } }),
            runPreflight({ ...base, tree: { configured: "../platform/k8s", absolute: "/nowhere/platform/k8s", present: false } }),
            runPreflight({ ...base, tree: { configured: "../platform/k8s", absolute: "/", present: true }, tool: null }),
        ].map((outcome) => formatPreflight(outcome).join("\n"));
        assert.deepEqual(reasons, [
            "Convergence pre-flight skipped: gitopsPath is not set (the platform repository's k8s/ directory, checked out beside this one).",
            "Convergence pre-flight skipped: there is no checkout at gitopsPath ../platform/k8s (/nowhere/platform/k8s); clone the platform repository there to check the tree.",
            "Convergence pre-flight skipped: neither kustomize nor kubectl (with its built-in `kubectl kustomize`) is on PATH; install kubectl to check the tree.",
        ]);
    });
});
