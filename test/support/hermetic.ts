/**
 * Loaded by mocha before any test (.mocharc.json `require`). The committed stack files point
 * `gitopsPath` and `talosPatchDir` at a sibling checkout of the platform repo (`../platform`),
 * which the README asks prod operators to keep: with one present, every simulation would render
 * the real Flux tree and apply the real Talos patches, and the suite would test that machine
 * instead of the code. So every in-process simulation of a committed stack sees both keys at a
 * directory that never exists (what a fresh clone sees). A test that wants a tree or a patch
 * directory passes its own override; overrides apply in order, so the test's wins.
 */
import * as path from "path";
import * as stackConfig from "../../rehearsal/stackConfig";

/** A path under the project that is never created. */
const ABSENT = path.join("test", "fixtures", "no-sibling-checkout");

/** The overrides every simulation starts with. */
export const HERMETIC_OVERRIDES: readonly stackConfig.ConfigOverride[] = [
    { path: "gitopsPath", value: `${ABSENT}/k8s`, secret: false },
    { path: "talosPatchDir", value: `${ABSENT}/talos`, secret: false },
];

const load = stackConfig.loadStackConfig;
// simulate() reaches loadStackConfig through the module object (CommonJS), so replacing the
// export here puts the overrides in front of every call's own.
Object.defineProperty(stackConfig, "loadStackConfig", {
    value: (projectDir: string, stack: string, overrides: readonly stackConfig.ConfigOverride[] = []) =>
        load(projectDir, stack, [...HERMETIC_OVERRIDES, ...overrides]),
});
