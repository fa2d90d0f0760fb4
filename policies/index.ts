/**
 * The platform-dr policy pack: `pulumi preview --policy-pack ./policies`. This module only
 * constructs the pack (which starts the policy server); the policies live in their own modules
 * so tests can import them without starting a server.
 */
import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES } from "./all";

new PolicyPack("platform-dr", { policies: ALL_POLICIES });
