/** The shapes of names that Kubernetes and DNS impose, shared by berth.yaml, environments, the API and manifests. */

/**
 * A DNS label (RFC 1123): lowercase letters, digits and `-`, starting and ending with a letter or
 * digit. App, environment, volume and port names, namespaces.
 */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A host name of routes: DNS labels joined by `.`, optionally behind one leading `*.` (a wildcard). */
export const HOST_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
