/**
 * OkHttp hooks: {@link io.kdiscovery.okhttp.KDiscoveryDns}, an {@code okhttp3.Dns} that answers
 * cluster Service names from the live table, and {@link io.kdiscovery.okhttp.KDiscoveryInterceptor},
 * which sends each call to a pod picked by kdiscovery and reports how it went to passive health. For
 * HTTPS prefer the interceptor: the URL keeps the Service's name, so OkHttp checks SNI, the certificate
 * and pins against it on every connection, and it picks per call (see {@code docs/security.md}). What
 * host names in calls may open is bounded by both (idle time, a cap, short negative entries).
 *
 * <p>Both use only the core's public API ({@link io.kdiscovery.KDiscovery},
 * {@link io.kdiscovery.BalancedService}, {@link io.kdiscovery.model.ServiceSnapshot#usableEndpoints()}),
 * and the OkHttp that fabric8's transport already brings.
 */
package io.kdiscovery.okhttp;
