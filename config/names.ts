/**
 * Kubernetes name rules, one per kind of name (Kubernetes' own validation, apimachinery
 * IsDNS1123Label / IsDNS1123Subdomain): a name that becomes part of other names or of a hostname
 * is a label, most object names are subdomains.
 */

/** A DNS-1123 label (at most 63): namespaces, and names other names are derived from (a CNPG Cluster's Services and pods). */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS-1123 subdomain (at most 253, dot-separated labels): Secrets, StorageClasses, Flux Kustomizations. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
