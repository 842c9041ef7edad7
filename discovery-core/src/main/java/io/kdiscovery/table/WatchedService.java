package io.kdiscovery.table;

import io.kdiscovery.model.ServiceKey;
import io.kdiscovery.model.ServiceSnapshot;
import java.time.Duration;
import java.util.Optional;

/**
 * A read-only view of one table entry, for diagnostics (an Actuator endpoint, a health check).
 *
 * @param key the Service port
 * @param snapshot its latest snapshot, empty before the first
 * @param status whether the entry is in step with its source
 * @param users how many handles hold it open
 * @param reconnects how often the source came back in step after losing contact (an outage of the
 *     API server or the DNS server), since the entry was opened
 * @param staleness how long the table had gone unconfirmed by its source when this view was taken:
 *     zero while in step, else the time since it went out of step (or since the watch started, if it
 *     never was in step), measured on the table's injected ticker, not the wall clock
 */
public record WatchedService(ServiceKey key, Optional<ServiceSnapshot> snapshot, SourceStatus status, int users,
    long reconnects, Duration staleness) {}
