/**
 * Passive health settings: ejection of endpoints from reported outcomes
 * ({@link io.kdiscovery.health.OutlierDetection}) and the ramp-up of new ones
 * ({@link io.kdiscovery.health.SlowStart}). The load balancer applies them.
 */
package io.kdiscovery.health;
