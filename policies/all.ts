/**
 * Every policy of the pack, in one list that both the pack (index.ts) and the program test use,
 * so a policy added here is automatically run against the real program.
 */
import { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { pdbAllowsDisruption } from "./availability/pdbAllowsDisruption";
import { rollingUpdateMaxUnavailableZero } from "./availability/rollingUpdate";
import { rollingUpdateHpaDriven } from "./availability/rollingUpdateHpaDriven";
import { workloadHasPdb } from "./availability/workloadHasPdb";
import { apiFirewallNotWorldOpen } from "./dr-safety/apiFirewallNotWorldOpen";
import { backupsProtected } from "./dr-safety/backupsProtected";
import { secretsStaySecret } from "./dr-safety/secretsStaySecret";

/** Policies that look at the whole stack. */
export const STACK_POLICIES: readonly StackValidationPolicy[] = [workloadHasPdb, pdbAllowsDisruption, rollingUpdateHpaDriven];

/** Policies that look at one resource at a time. */
export const RESOURCE_POLICIES: readonly ResourceValidationPolicy[] = [
    rollingUpdateMaxUnavailableZero,
    backupsProtected,
    secretsStaySecret,
    apiFirewallNotWorldOpen,
];

/** The pack's policies. */
export const ALL_POLICIES: Policies = [...STACK_POLICIES, ...RESOURCE_POLICIES];
