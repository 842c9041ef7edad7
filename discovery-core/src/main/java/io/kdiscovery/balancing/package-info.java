/**
 * Client-side load balancing: {@link io.kdiscovery.balancing.LoadBalancer} turns the snapshots of one
 * Service port into a {@link io.kdiscovery.balancing.Pick} per request, under a
 * {@link io.kdiscovery.balancing.Policy}. Everything else in this package is package-private engine.
 */
package io.kdiscovery.balancing;
