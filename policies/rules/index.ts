/**
 * The availability rule engine: `evaluate` over Kubernetes objects. Pure TypeScript with no
 * Pulumi imports, shared by the policy pack (`policies/`) and the manifest checker (`checker/`).
 */
export { evaluate, readObjects } from "./engine";
export { RULE_FIELDS, checkedKindOf } from "./objects";
export { allowedDisruptions } from "./pdbAllowsDisruption";
export { DEFAULT_NAMESPACE, DEFAULT_REPLICA_THRESHOLD, parseExemptionPattern } from "./options";
export * from "./types";
