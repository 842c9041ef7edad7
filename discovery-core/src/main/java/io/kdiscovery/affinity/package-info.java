/**
 * Session affinity: which requests stick to one pod ({@link io.kdiscovery.affinity.Affinity}), and the
 * bounded, expiring table that remembers it ({@link io.kdiscovery.affinity.StickyTable}).
 */
package io.kdiscovery.affinity;
