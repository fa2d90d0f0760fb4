/**
 * The platform-dr policy pack: `pulumi preview --policy-pack ./policies`. This module only
 * constructs the pack (which starts the policy server); the policies live in their own modules
 * so tests can import them without starting a server.
 */
import { PolicyPack } from "@pulumi/policy";
import { pdbAllowsDisruption } from "./availability/pdbAllowsDisruption";
import { rollingUpdateMaxUnavailableZero } from "./availability/rollingUpdate";
import { rollingUpdateHpaDriven } from "./availability/rollingUpdateHpaDriven";
import { workloadHasPdb } from "./availability/workloadHasPdb";
import { apiFirewallNotWorldOpen } from "./dr-safety/apiFirewallNotWorldOpen";
import { backupsProtected } from "./dr-safety/backupsProtected";
import { secretsStaySecret } from "./dr-safety/secretsStaySecret";

new PolicyPack("platform-dr", {
    policies: [workloadHasPdb, pdbAllowsDisruption, rollingUpdateMaxUnavailableZero, rollingUpdateHpaDriven, backupsProtected, secretsStaySecret, apiFirewallNotWorldOpen],
});
