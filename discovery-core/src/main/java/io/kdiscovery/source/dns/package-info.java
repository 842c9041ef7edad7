/**
 * The DNS endpoint source: a headless Service's pods from cluster DNS (A/AAAA and SRV records, through
 * dnsjava), for applications without read access to the Kubernetes API. The entry point is
 * {@link io.kdiscovery.source.dns.DnsEndpointSource}; everything else here is package-private.
 */
package io.kdiscovery.source.dns;
